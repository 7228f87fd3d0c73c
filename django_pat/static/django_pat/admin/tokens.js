// The token admin's few behaviours, attached to the document so that they
// work wherever this file is loaded (as a static file: no inline scripts).
'use strict';
{
    // Ask before a revoke button's form is sent.
    document.addEventListener('submit', (event) => {
        const message = event.target.dataset && event.target.dataset.patConfirm;
        if (message && !window.confirm(message)) {
            event.preventDefault();
        }
    });

    // A token typed into the list's search box, alone or with text around
    // it ("Bearer pat_…", a line from a log), would end up in a URL, and so
    // in access logs and the browser's history: send the token to "find a
    // token by its value", by POST, instead. The server diverts what gets
    // past this (no script, an address typed by hand) the same way.
    document.addEventListener('submit', (event) => {
        if (event.target.id !== 'changelist-search') {
            return;
        }
        const finder = document.getElementById('pat-find-form');
        const search = event.target.querySelector('input[name="q"]');
        if (!finder || !search) {
            return;
        }
        const pattern = new RegExp(finder.dataset.tokenPattern, 'i');
        let decoded = search.value;
        try {
            decoded = decodeURIComponent(search.value);
        } catch (error) {
            // Not percent-encoded after all: the value as typed is checked.
        }
        const found = pattern.exec(search.value) || pattern.exec(decoded);
        if (found) {
            event.preventDefault();
            search.value = '';
            finder.elements.token.value = found[0];
            finder.submit();
        }
    }, true);

    // The copy button next to a secret shown once.
    document.addEventListener('click', (event) => {
        const button = event.target.closest && event.target.closest('[data-pat-copy]');
        if (!button) {
            return;
        }
        const source = document.getElementById(button.dataset.patCopy);
        const status = document.getElementById('pat-copy-status');
        // The page's words, in its language (the template translates them).
        const copied = button.dataset.patCopied || 'Copied.';
        const selected = button.dataset.patSelected || 'Selected: press Ctrl+C (⌘C) to copy.';
        const done = (text) => {
            if (status) {
                status.textContent = text;
            }
        };
        const fallback = () => {
            // Without the asynchronous clipboard (an insecure origin, say),
            // select the text and use the older command.
            source.focus();
            source.select();
            done(document.execCommand('copy') ? copied : selected);
        };
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(source.value).then(() => done(copied), fallback);
        } else {
            fallback();
        }
    });
}
