// The self-service token page: a small client of django-pat's REST endpoints.
// It uses the session cookie and the CSRF token, like any same-site frontend.
// No build step, no dependencies. Data is put into the page with textContent
// only, never as HTML: token names are the user's own text.
(function () {
  "use strict";

  const app = document.getElementById("pat-app");
  if (!app) return;
  const apiUrl = app.dataset.apiUrl;
  const csrfToken = app.dataset.csrfToken;
  const $ = (id) => document.getElementById(id);

  const form = $("pat-form");
  const formError = $("pat-form-error");
  const expiry = $("pat-expiry");
  const expiryDateWrap = $("pat-expiry-date-wrap");
  const expiryDate = $("pat-expiry-date");
  const typeSelect = $("pat-type");
  const list = $("pat-list");
  const listBody = list.querySelector("tbody");
  const listStatus = $("pat-list-status");
  const secretPanel = $("pat-secret");
  const secretValue = $("pat-secret-value");
  const confirmDialog = $("pat-confirm");
  const rotateDialog = $("pat-rotate-confirm");
  const FIELDS = ["name", "type", "expireAt", "ipRestriction", "scopes", "description"];
  const scopesSome = $("pat-scopes-some");
  const scopeBoxes = Array.from(form.querySelectorAll('input[name="scopes"]'));
  const DAY = 24 * 60 * 60 * 1000;

  // The page's words come from Django's JavaScriptCatalog (the script before
  // this one); without it, they stay in English. Dates and times follow the
  // reader's own locale (Intl), as before.
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((one, many, count) => (count === 1 ? one : many));
  const interpolate =
    window.interpolate || ((text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]));
  const format = (text, values) => interpolate(text, values, true);

  async function api(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      // Not the API's JSON (a proxy's error page, say).
    }
    return { ok: response.ok && data !== null, status: response.status, data };
  }

  // What went wrong, in the API's own words: the page adds no wording of its
  // own to a message the API gives, and has one of its own for when the
  // answer carries none.
  function messageOf(result) {
    const message = result.data && result.data.message;
    return typeof message === "string" && message
      ? message
      : format(gettext("The server answered %(status)s with no message."), {
          status: result.status,
        });
  }

  // --- Errors next to the fields they concern -------------------------------

  function clearErrors() {
    formError.hidden = true;
    formError.textContent = "";
    for (const field of FIELDS) {
      const slot = $(`pat-${field}-error`);
      slot.hidden = true;
      slot.textContent = "";
      const input = inputFor(field);
      if (input) input.removeAttribute("aria-invalid");
    }
  }

  function inputFor(field) {
    if (field === "expireAt") return expiry.value === "custom" ? expiryDate : expiry;
    if (field === "scopes") return scopesSome.checked ? scopeBoxes[0] || scopesSome : scopesSome;
    return {
      name: $("pat-name"),
      type: typeSelect,
      ipRestriction: $("pat-ip"),
      description: $("pat-description"),
    }[field];
  }

  function showErrors(result) {
    const errors = (result.data && result.data.errors) || {};
    let first = null;
    let unplaced = Object.keys(errors).length === 0;
    for (const [field, messages] of Object.entries(errors)) {
      const slot = FIELDS.includes(field) ? $(`pat-${field}-error`) : null;
      if (!slot) {
        unplaced = true;
        continue;
      }
      slot.textContent = messages.join(" ");
      slot.hidden = false;
      const input = inputFor(field);
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
    // An error with no field of its own on the form (a 429, a field this
    // form does not show): the API's message, which names every error.
    if (unplaced) {
      formError.textContent = messageOf(result);
      formError.hidden = false;
      formError.setAttribute("tabindex", "-1");
      formError.focus();
    } else {
      first.focus();
    }
  }

  // --- The expiry choice ---------------------------------------------------

  function syncExpiryChoices() {
    const maxDays = Number(typeSelect.selectedOptions[0].dataset.maxDays) || null;
    for (const option of expiry.options) {
      const days = Number(option.dataset.days) || null;
      option.hidden = option.disabled =
        (days !== null && maxDays !== null && days > maxDays) ||
        (option.dataset.never === "1" && maxDays !== null);
    }
    if (expiry.selectedOptions[0].disabled) expiry.value = "default";
    expiryDateWrap.hidden = expiry.value !== "custom";
    if (maxDays !== null) {
      expiryDate.max = new Date(Date.now() + maxDays * DAY).toISOString().slice(0, 10);
    } else {
      expiryDate.removeAttribute("max");
    }
    expiryDate.min = new Date(Date.now() + DAY).toISOString().slice(0, 10);
  }

  function expireAtFromForm() {
    const choice = expiry.value;
    if (choice === "default") return undefined;
    if (choice === "never") return null;
    if (choice === "custom") {
      // The end of the chosen day in the user's time zone, sent in UTC.
      if (!expiryDate.value) return "";
      const end = new Date(`${expiryDate.value}T23:59:59`);
      return isNaN(end) ? expiryDate.value : end.toISOString();
    }
    return new Date(Date.now() + Number(choice) * DAY).toISOString();
  }

  // --- The scopes ----------------------------------------------------------

  // Not restricted, or only the scopes ticked: the boxes count only then.
  function syncScopes() {
    for (const box of scopeBoxes) box.disabled = !scopesSome.checked;
  }

  function scopesFromForm() {
    if (!scopesSome.checked) return null;
    return scopeBoxes.filter((box) => box.checked).map((box) => box.value);
  }

  // One line per scope, which may wrap after a colon only: "packages:" then "read".
  function scopesContent(token) {
    // As the addresses beside them: "Any address", "Any scope".
    if (token.scopes === null) return gettext("Any scope");
    if (!token.scopes.length) return gettext("No scope");
    const list = document.createDocumentFragment();
    for (const [index, name] of token.scopes.entries()) {
      const scope = document.createElement("span");
      scope.className = "pat-scope";
      for (const [part, piece] of name.split(/(?<=:)/).entries()) {
        if (part) scope.append(document.createElement("wbr"));
        scope.append(piece);
      }
      // Read as a list, one name after another, wherever the lines fall.
      if (index < token.scopes.length - 1) scope.append(document.createTextNode(","));
      list.append(scope, " ");
    }
    return list;
  }

  // --- The list ------------------------------------------------------------

  // Each cell carries its column's heading, which labels it when the table is
  // laid out as one card per token on a narrow screen.
  const COLUMNS = Array.from(list.tHead.rows[0].cells, (th) => th.textContent.trim());

  // Dates are compact ("3 Dec 2026", in the reader's locale and time zone),
  // exact to the second on hover, and exact in RFC 3339 in <time datetime>.
  const dateFormat = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
  });
  const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
  const relativeFormat = new Intl.RelativeTimeFormat(undefined, { style: "short" });
  const justNow = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(0, "second");
  const MINUTE = 60 * 1000;

  // "5 min ago", "2 hr ago", "3 days ago"; the date once it is a month old.
  function sinceText(date) {
    const minutes = Math.floor((Date.now() - date) / MINUTE);
    if (minutes < 1) return justNow;
    if (minutes < 60) return relativeFormat.format(-minutes, "minute");
    if (minutes < 24 * 60) return relativeFormat.format(-Math.floor(minutes / 60), "hour");
    if (minutes < 30 * 24 * 60) return relativeFormat.format(-Math.floor(minutes / 1440), "day");
    return dateFormat.format(date);
  }

  function timeElement(iso, format) {
    const date = new Date(iso);
    const time = document.createElement("time");
    time.dateTime = iso;
    time.title = exactFormat.format(date);
    time.textContent = format(date);
    return time;
  }

  // Why a token was revoked, in a word or two after its badge.
  const REASONS = {
    owner: gettext("by you"),
    staff: gettext("by staff"),
    rotated: gettext("rotated"),
    leaked: gettext("found in public"),
    user_deactivated: gettext("account changed"),
    command: gettext("by an administrator"),
  };

  // A token's state (the API's word) as its badge reads.
  const STATES = {
    active: gettext("Active"),
    revoked: gettext("Revoked"),
    expired: gettext("Expired"),
    dormant: gettext("Dormant"),
  };

  function prefixText(token) {
    return `${token.displayPrefix}…`;
  }

  // A second line of small text in a cell: a description, an address.
  function note(text, className) {
    const span = document.createElement("span");
    span.className = `pat-note ${className}`;
    span.textContent = text;
    return span;
  }

  function actionButton(label, className, token, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = className;
    button.textContent = label;
    button.setAttribute("aria-label", `${label} ${token.name}`);
    button.addEventListener("click", () => onClick(token, button));
    return button;
  }

  // The listed tokens by id: a rotated token names the one it replaced.
  let byId = new Map();

  function cell(content, className) {
    const td = document.createElement("td");
    td.setAttribute("role", "cell");
    if (className) td.className = className;
    if (typeof content === "string") td.textContent = content;
    else td.append(content);
    return td;
  }

  function row(token) {
    const tr = document.createElement("tr");
    tr.setAttribute("role", "row");
    tr.dataset.tokenId = token.id;
    const state = token.state;
    const status = document.createDocumentFragment();
    const badge = document.createElement("span");
    badge.className = `pat-status pat-status-${state}`;
    badge.textContent = STATES[state] || state[0].toUpperCase() + state.slice(1);
    status.append(badge);
    if (token.revokedReason) {
      status.append(note(REASONS[token.revokedReason] || token.revokedReason, "pat-status-why"));
    }
    if (token.revokedAt) {
      // When: a leaked token's owner wants to know how long it was out there.
      const when = note("", "pat-status-when");
      when.append(timeElement(token.revokedAt, sinceText));
      status.append(when);
    }
    const prefix = document.createElement("code");
    prefix.textContent = prefixText(token);
    const actions = document.createElement("div");
    actions.className = "pat-row-actions";
    if (token.active) {
      actions.append(
        actionButton(gettext("Rotate"), "", token, confirmRotate),
        actionButton(gettext("Revoke"), "pat-button-quiet-danger", token, confirmRevoke),
      );
    }
    const name = document.createDocumentFragment();
    name.append(token.name);
    if (token.description) name.append(note(token.description, "pat-description"));
    const replaced = token.previousId && byId.get(token.previousId);
    if (replaced) name.append(note(format(gettext("Replaces %(prefix)s"), { prefix: prefixText(replaced) }), "pat-replaces"));
    const lastUsed = document.createDocumentFragment();
    if (token.lastUsedAt) {
      lastUsed.append(timeElement(token.lastUsedAt, sinceText));
      if (token.lastUsedIp) lastUsed.append(note(format(gettext("from %(address)s"), { address: token.lastUsedIp }), "pat-from"));
    } else {
      lastUsed.append(gettext("Never"));
    }
    const ipRestriction = token.ipRestriction ? token.ipRestriction.split(",").join(", ") : "";
    tr.append(
      cell(name, "pat-cell-name"),
      cell(token.type),
      cell(status, "pat-cell-status"),
      cell(prefix),
      cell(timeElement(token.createdAt, (date) => dateFormat.format(date))),
      cell(token.expireAt ? timeElement(token.expireAt, (date) => dateFormat.format(date)) : gettext("Never")),
      cell(lastUsed, "pat-cell-used"),
      cell(ipRestriction || gettext("Any address"), "pat-cell-ip"),
      cell(scopesContent(token), "pat-cell-scopes"),
      cell(actions, "pat-cell-actions"),
    );
    for (const [index, td] of Array.from(tr.cells).entries()) td.dataset.label = COLUMNS[index];
    return tr;
  }

  async function refresh(news) {
    const result = await api("GET", apiUrl);
    if (!result.ok) {
      listStatus.textContent = messageOf(result);
      return;
    }
    byId = new Map(result.data.map((token) => [token.id, token]));
    listBody.replaceChildren(...result.data.map(row));
    list.hidden = result.data.length === 0;
    const total = result.data.length;
    const count = total
      ? format(ngettext("%(count)s token.", "%(count)s tokens.", total), { count: total })
      : gettext("You have no tokens yet.");
    listStatus.textContent = news ? `${news} ${count}` : count;
  }

  // --- Provision -----------------------------------------------------------

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const body = { name: $("pat-name").value, type: typeSelect.value };
    const ip = $("pat-ip").value.trim();
    if (ip) body.ipRestriction = ip;
    const expireAt = expireAtFromForm();
    if (expireAt !== undefined) body.expireAt = expireAt;
    body.scopes = scopesFromForm();
    const description = $("pat-description").value.trim();
    if (description) body.description = description;
    const submit = $("pat-create");
    submit.disabled = true;
    try {
      const result = await api("POST", apiUrl, body);
      if (!result.ok) {
        showErrors(result);
        return;
      }
      showSecret(result.data);
      form.reset();
      syncExpiryChoices();
      syncScopes();
      await refresh(format(gettext("Created “%(name)s”."), { name: result.data.name }));
    } finally {
      submit.disabled = false;
    }
  });

  function showSecret(token, replaced) {
    $("pat-secret-name").textContent = format(gettext("“%(name)s”"), { name: token.name });
    const replaces = $("pat-secret-replaces");
    replaces.hidden = !replaced;
    replaces.textContent = replaced
      ? format(
          gettext(
            "It replaces %(prefix)s, which no longer works: put the new one wherever the old one was.",
          ),
          { prefix: prefixText(replaced) },
        )
      : "";
    secretValue.value = token.token;
    $("pat-copy-status").textContent = "";
    secretPanel.hidden = false;
    // Focused and selected: Ctrl+C copies it, and a screen reader reads the
    // warning with it.
    secretValue.focus();
    secretValue.select();
  }

  $("pat-copy").addEventListener("click", async () => {
    const note = $("pat-copy-status");
    secretValue.select();
    try {
      await navigator.clipboard.writeText(secretValue.value);
      note.textContent = gettext("Copied.");
    } catch (error) {
      note.textContent = gettext("Press Ctrl+C (⌘C) to copy the selected token.");
    }
  });

  $("pat-secret-done").addEventListener("click", () => {
    // Forget the secret: it exists only in this page until now.
    secretValue.value = "";
    secretPanel.hidden = true;
    $("pat-name").focus();
  });

  // --- Revoke --------------------------------------------------------------

  function confirmRevoke(token, button) {
    $("pat-confirm-name").textContent = token.name;
    $("pat-confirm-prefix").textContent = prefixText(token);
    confirmDialog.returnValue = "";
    confirmDialog.onclose = async () => {
      if (confirmDialog.returnValue !== "revoke") {
        button.focus();
        return;
      }
      const result = await api("DELETE", `${apiUrl}/${encodeURIComponent(token.id)}`);
      await refresh(
        result.ok
          ? format(gettext("Revoked “%(name)s”."), { name: token.name })
          : messageOf(result),
      );
      $("pat-list-title").setAttribute("tabindex", "-1");
      $("pat-list-title").focus();
    };
    confirmDialog.showModal();
  }

  for (const radio of form.querySelectorAll('input[name="scopes_mode"]')) {
    radio.addEventListener("change", syncScopes);
  }
  syncScopes();
  // --- Rotate --------------------------------------------------------------

  function confirmRotate(token, button) {
    $("pat-rotate-name").textContent = token.name;
    $("pat-rotate-prefix").textContent = prefixText(token);
    rotateDialog.returnValue = "";
    rotateDialog.onclose = async () => {
      if (rotateDialog.returnValue !== "rotate") {
        button.focus();
        return;
      }
      const result = await api("POST", `${apiUrl}/${encodeURIComponent(token.id)}/rotate`, {});
      if (result.ok) showSecret(result.data, token);
      await refresh(
        result.ok ? format(gettext("Rotated “%(name)s”."), { name: token.name }) : messageOf(result),
      );
      if (!result.ok) {
        $("pat-list-title").setAttribute("tabindex", "-1");
        $("pat-list-title").focus();
      }
    };
    rotateDialog.showModal();
  }

  typeSelect.addEventListener("change", syncExpiryChoices);
  expiry.addEventListener("change", syncExpiryChoices);
  syncExpiryChoices();
  refresh();
})();
