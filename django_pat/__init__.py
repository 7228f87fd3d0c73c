"""Personal access tokens for Django and Django REST framework."""

__version__ = "0.2.0.dev0"
