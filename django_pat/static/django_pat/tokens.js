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
  const FIELDS = ["name", "type", "expireAt", "ipRestriction"];
  const DAY = 24 * 60 * 60 * 1000;

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
      : `The server answered ${result.status} with no message.`;
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
    return { name: $("pat-name"), type: typeSelect, ipRestriction: $("pat-ip") }[field];
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

  // --- The list ------------------------------------------------------------

  function status(token) {
    if (token.active) return "active";
    if (token.expireAt && new Date(token.expireAt) <= new Date()) return "expired";
    return "revoked";
  }

  function timeCell(iso, empty) {
    const cell = document.createElement("td");
    if (!iso) {
      cell.textContent = empty;
      return cell;
    }
    const time = document.createElement("time");
    time.dateTime = iso;
    time.textContent = new Date(iso).toLocaleString();
    cell.appendChild(time);
    return cell;
  }

  function textCell(text) {
    const cell = document.createElement("td");
    cell.textContent = text;
    return cell;
  }

  function row(token) {
    const tr = document.createElement("tr");
    tr.dataset.tokenId = token.id;
    const state = status(token);
    tr.appendChild(textCell(token.name));
    tr.appendChild(textCell(token.type));
    const statusCell = textCell(state[0].toUpperCase() + state.slice(1));
    statusCell.className = `pat-status-${state}`;
    tr.appendChild(statusCell);
    const prefixCell = document.createElement("td");
    const code = document.createElement("code");
    code.textContent = `${token.displayPrefix}…`;
    prefixCell.appendChild(code);
    tr.appendChild(prefixCell);
    tr.appendChild(timeCell(token.createdAt, ""));
    tr.appendChild(timeCell(token.expireAt, "Never"));
    tr.appendChild(timeCell(token.lastUsedAt, "Never used"));
    tr.appendChild(textCell(token.ipRestriction || "Any address"));
    const actions = document.createElement("td");
    if (token.active) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Revoke";
      button.setAttribute("aria-label", `Revoke ${token.name}`);
      button.addEventListener("click", () => confirmRevoke(token, button));
      actions.appendChild(button);
    }
    tr.appendChild(actions);
    return tr;
  }

  async function refresh(news) {
    const result = await api("GET", apiUrl);
    if (!result.ok) {
      listStatus.textContent = messageOf(result);
      return;
    }
    listBody.replaceChildren(...result.data.map(row));
    list.hidden = result.data.length === 0;
    const count = result.data.length
      ? `${result.data.length} token${result.data.length === 1 ? "" : "s"}.`
      : "You have no tokens yet.";
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
      await refresh(`Created “${result.data.name}”.`);
    } finally {
      submit.disabled = false;
    }
  });

  function showSecret(token) {
    $("pat-secret-name").textContent = `“${token.name}”`;
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
      note.textContent = "Copied.";
    } catch (error) {
      note.textContent = "Press Ctrl+C (⌘C) to copy the selected token.";
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
    $("pat-confirm-prefix").textContent = token.displayPrefix;
    confirmDialog.returnValue = "";
    confirmDialog.onclose = async () => {
      if (confirmDialog.returnValue !== "revoke") {
        button.focus();
        return;
      }
      const result = await api("DELETE", `${apiUrl}/${encodeURIComponent(token.id)}`);
      await refresh(
        result.ok
          ? `Revoked “${token.name}”.`
          : messageOf(result),
      );
      $("pat-list-title").setAttribute("tabindex", "-1");
      $("pat-list-title").focus();
    };
    confirmDialog.showModal();
  }

  typeSelect.addEventListener("change", syncExpiryChoices);
  expiry.addEventListener("change", syncExpiryChoices);
  syncExpiryChoices();
  refresh();
})();
