"""The authentication benchmark: django-pat beside DRF's authtoken, knox and
djangorestframework-api-key, measured interleaved in one run.

Run it with ``python -m benchmarks`` (see README, "Performance").
"""
