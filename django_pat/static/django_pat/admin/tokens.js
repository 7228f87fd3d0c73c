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

    // A whole token typed into the list's search box would end up in a URL,
    // and so in access logs and the browser's history: send it to "find a
    // token by its value", by POST, instead.
    document.addEventListener('submit', (event) => {
        if (event.target.id !== 'changelist-search') {
            return;
        }
        const finder = document.getElementById('pat-find-form');
        const search = event.target.querySelector('input[name="q"]');
        if (!finder || !search) {
            return;
        }
        const value = search.value.trim();
        if (new RegExp(finder.dataset.tokenPattern).test(value)) {
            event.preventDefault();
            search.value = '';
            finder.elements.token.value = value;
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
            done(document.execCommand('copy') ? 'Copied.' : 'Selected: press Ctrl+C (⌘C) to copy.');
        };
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(source.value).then(() => done('Copied.'), fallback);
        } else {
            fallback();
        }
    });
}
