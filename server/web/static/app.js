// DiunDashboard's only script. The pages work without it; with it, actions run without a
// reload and offer an undo, times show in the browser's zone, and the page refreshes itself
// when the live stream says that something changed, without disturbing what the person is
// doing.
"use strict";

(function () {
  const main = document.getElementById("main");
  const notice = document.getElementById("notice");
  let noticeTimer = 0;
  // The stylesheet hides what only matters without a script (the filters' Apply button).
  document.documentElement.classList.add("js");

  // --- times -------------------------------------------------------------------------
  // The server knows no browser's zone: it writes times in UTC, in <time datetime> elements
  // and, inside messages, as "2026-07-04 07:00 UTC". Here they become the browser's local time,
  // with the UTC time kept on hover.

  const localFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });

  // A day someone planned (a snooze's end): "Fri 5 Dec" in the browser's zone and language.
  const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

  function utcText(d) {
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  // localizeTimes shows each absolute time (data-abs) in local time, and puts the local time
  // beside the UTC one in the hover text of the relative ones ("3 days ago").
  function localizeTimes(root) {
    for (const el of root.querySelectorAll("time[datetime]")) {
      // Done already, and not changed since by a refresh: the rows a refresh keeps keep theirs.
      if (el.localized === el.dateTime + el.title + el.textContent) continue;
      const d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) continue;
      if (el.hasAttribute("data-abs")) {
        el.textContent = localFormat.format(d);
        el.title = utcText(d);
      } else if (el.hasAttribute("data-day")) {
        el.textContent = dayFormat.format(d);
        el.title = localFormat.format(d) + " (" + utcText(d) + ")";
      } else {
        el.title = localFormat.format(d) + " (" + utcText(d) + ")";
      }
      el.localized = el.dateTime + el.title + el.textContent;
    }
  }

  const utcInText = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(?::\d{2})? UTC/g;

  // appendLocalized appends message to parent with each UTC time in it as a local <time>.
  function appendLocalized(parent, message) {
    let last = 0;
    for (const m of message.matchAll(utcInText)) {
      parent.append(message.slice(last, m.index));
      const d = new Date(m[1] + "T" + m[2] + ":00Z");
      const t = document.createElement("time");
      t.dateTime = d.toISOString();
      t.title = utcText(d);
      t.textContent = localFormat.format(d);
      parent.append(t);
      last = m.index + m[0].length;
    }
    parent.append(message.slice(last));
  }

  // Date pickers give local time; say which zone that is (without this script the server
  // reads them as UTC, and the page says so).
  function labelZones(root) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const text = "(" + (zone || "local time") + ")";
    for (const el of root.querySelectorAll(".zone")) if (el.textContent !== text) el.textContent = text;
  }

  // --- notices -----------------------------------------------------------------------

  function showNotice(message, undo, isError) {
    clearTimeout(noticeTimer);
    notice.textContent = "";
    notice.classList.toggle("error", !!isError);
    const text = document.createElement("span");
    appendLocalized(text, message);
    notice.append(text);
    if (undo) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Undo";
      b.className = "undo";
      b.setAttribute("aria-keyshortcuts", "u");
      b.addEventListener("click", () => {
        const body = new URLSearchParams();
        for (const [k, v] of undo.fields) body.append(k, v);
        send(undo.action, body);
      });
      notice.append(b);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.addEventListener("click", hideNotice);
    notice.append(close);
    notice.hidden = false;
    noticeLasts = undo ? 15000 : 6000;
    noticeTimer = setTimeout(hideNotice, noticeLasts);
  }

  function hideNotice() {
    clearTimeout(noticeTimer);
    notice.hidden = true;
  }

  // A notice with an Undo stays while the pointer is on it or focus is in it (someone on
  // their way to the button, or reading), and for its whole time again after.
  let noticeLasts = 6000;
  const holdNotice = () => clearTimeout(noticeTimer);
  const releaseNotice = () => {
    if (notice.hidden || notice.matches(":hover") || notice.contains(document.activeElement)) return;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(hideNotice, noticeLasts);
  };
  notice.addEventListener("pointerenter", holdNotice);
  notice.addEventListener("focusin", holdNotice);
  notice.addEventListener("pointerleave", releaseNotice);
  notice.addEventListener("focusout", () => setTimeout(releaseNotice, 0));

  // --- actions -----------------------------------------------------------------------

  // movedOnFrom is the row an action came from: once the page shows its outcome, focus goes
  // on to the next row (when the row left the view, swap does that by itself).
  let moveOnFrom = null;

  // form, when it has data-reset (a form that makes something new, like the tags page's),
  // is emptied once the action succeeded: the refresh keeps whatever a field holds (it may be
  // typing in progress), so the next name typed would be added to the last one.
  async function send(action, body, row, form) {
    let res;
    try {
      res = await fetch(action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (e) {
      showNotice("The dashboard cannot be reached. Check the connection and try again.", null, true);
      return;
    }
    let data = {};
    try {
      data = await res.json();
    } catch (e) {
      /* not JSON: the status says enough */
    }
    if (res.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (!res.ok) {
      showNotice(data.error || "That did not work (" + res.status + ").", null, true);
      return;
    }
    // The server asks first when an action reaches more images than the page shows.
    if (data.confirm) {
      if (confirm(data.confirm)) {
        body.set("confirm", "yes");
        send(action, body, null, form);
      } else {
        showNotice("Nothing changed.");
      }
      return;
    }
    // The page the action came from is gone (an image deleted from its own page): the server
    // names where to go, with the outcome for that page to show.
    if (data.location) {
      location.href = data.location;
      return;
    }
    if (form && form.isConnected && form.hasAttribute("data-reset")) form.reset();
    showNotice(data.message || "Done.", data.undo);
    moveOnFrom = row || null;
    refresh();
  }

  // confirmText is the question a button asks before it acts, with "{images}" replaced by how
  // many images are ticked, so that a bulk delete says how many it deletes.
  function confirmText(form, submitter) {
    const q = submitter && submitter.dataset.confirm;
    if (!q || !q.includes("{images}")) return q;
    // getAttribute: form.id would be the form's fields named "id", the ticked boxes.
    const n = document.querySelectorAll('input[name="id"][form="' + CSS.escape(form.getAttribute("id") || "") + '"]:checked').length;
    return q.replace("{images}", n === 1 ? "1 image" : n + " images");
  }

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    const submitter = ev.submitter;
    const q = confirmText(form, submitter);
    if (form.id === "filters") {
      ev.preventDefault();
      applyFilters(form, typedEntry === here());
      typedEntry = null;
      return;
    }
    if (form.method.toLowerCase() !== "post" || form.hasAttribute("data-plain")) {
      if (q && !confirm(q)) ev.preventDefault();
      return;
    }
    ev.preventDefault();
    if (q && !confirm(q)) return;
    const body = new URLSearchParams(new FormData(form, submitter));
    // The date picker gives local time: send it as an absolute time.
    const local = body.get("until_local");
    if (local) {
      body.set("until", new Date(local).toISOString());
      body.delete("until_local");
    }
    if (q) body.set("confirm", "yes");
    const action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    // Close the menu the action came from.
    const menu = submitter && submitter.closest("details.menu");
    if (menu) menu.open = false;
    send(action, body, submitter && submitter.closest("main li.img"), form);
  });

  // --- refreshing the page's main element -------------------------------------------

  let refreshing = false;
  let again = false;

  // followAddress: the filters are to show the address's view once main does (resetFilters).
  let followAddress = false;

  // full asks for every row, not only those this page does not show as they are now; follow
  // sets followAddress.
  async function refresh(full, follow) {
    if (follow) followAddress = true;
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    let whole = false;
    const url = location.href;
    try {
      const headers = { "X-Fragment": "main" };
      // The versions of the rows shown: the server sends the others only (rowpatch.go), and
      // the rows that stay as they are cost nothing here either.
      const shown = full ? "" : [...main.querySelectorAll("li.img[data-v]")].map((r) => r.dataset.v).join(" ");
      if (shown) headers["X-Rows"] = shown;
      const res = await fetch(url, { headers: headers, credentials: "same-origin" });
      if (res.status === 401) {
        location.reload();
        return;
      }
      if (res.ok) whole = !swap(await res.text());
      if (res.ok && !whole && followAddress && url === location.href) {
        followAddress = false;
        resetFilters();
      }
    } catch (e) {
      /* offline: the next event or reload catches up */
    } finally {
      refreshing = false;
      if (whole || again) {
        again = false;
        refresh(whole);
      }
    }
  }

  // Where the pointer is, and when it last moved, to keep what is under it in place when rows
  // come in above it.
  let pointer = null;
  const track = (ev) => {
    pointer = { x: ev.clientX, y: ev.clientY, at: performance.now() };
  };
  document.addEventListener("pointermove", track, { passive: true });
  document.addEventListener("pointerdown", track, { passive: true });
  document.documentElement.addEventListener("pointerleave", () => {
    pointer = null;
  });

  // A pointer that moved this recently is on its way to click something.
  const aiming = 3000;

  // anchor is the element whose place on the screen a refresh must keep: the one under the
  // pointer, else the one with focus, else the first row in view. Only once the person has
  // scrolled into the list, though: at the top of the page new rows come in where they are
  // seen, under the header and the tabs, which a held anchor would scroll out of view; there
  // only a pointer about to click holds what is under it.
  function anchor() {
    const list = main.querySelector("details.host");
    const inList = !!list && list.getBoundingClientRect().top < 0;
    const aimed = pointer && (inList || performance.now() - pointer.at < aiming) && document.elementFromPoint(pointer.x, pointer.y);
    let el = aimed && main.contains(aimed) ? aimed : null;
    if (!el && inList) {
      const a = document.activeElement;
      el = a && a !== main && main.contains(a) ? a : null;
    }
    if (!el && inList) {
      for (const row of main.querySelectorAll("li.img")) {
        if (row.getBoundingClientRect().bottom > 0) {
          el = row;
          break;
        }
      }
    }
    return el && { el: el, top: el.getBoundingClientRect().top };
  }

  // swap brings main up to date with html, the server's new copy of it. It changes the page
  // in place (morph) instead of replacing it, so that nothing the person is doing is lost:
  // text being typed keeps its characters, caret and focus, an open list stays open, ticked
  // boxes stay ticked, folded groups stay folded; and the element under the pointer stays
  // where it is on the screen, the page scrolling by what was inserted above it. It returns
  // false, changing nothing, when html leaves out a row (data-same) this page does not have.
  function swap(html) {
    // The same answer again (a live event about the action just shown): nothing to do.
    if (html === swapped && !moveOnFrom) return true;
    const t = document.createElement("template");
    t.innerHTML = html;
    sameRows = new Set();
    for (const kept of t.content.querySelectorAll("li[data-same]")) {
      if (!rowIn(main, kept.getAttribute("id"))) return false;
      sameRows.add(kept.getAttribute("id"));
    }
    const a = anchor();
    // The row that has focus, and its place: when it leaves the view (acknowledged, say),
    // focus goes on to the row that takes its place, for the next action from the keyboard.
    const focusRow = document.activeElement && document.activeElement.closest && document.activeElement.closest("main li.img");
    const focusAt = focusRow ? [...main.querySelectorAll("li.img")].indexOf(focusRow) : -1;
    const rowHadFocus = focusRow && document.activeElement === focusRow;
    main.style.minHeight = "";
    morphChildren(main, t.content);
    // The marks first: a mark has a line of its own, and the place kept below counts it.
    markNew();
    if (focusRow && !focusRow.isConnected) {
      const rows = main.querySelectorAll("li.img");
      const next = rows[Math.min(focusAt, rows.length - 1)];
      const button = next && next.querySelector(".acts button");
      if (rowHadFocus && next) focusRowEl(next);
      else if (button) button.focus({ preventScroll: true });
    }
    // The row acted on stays in the view (the view of every state): focus, when it is still in
    // that row or was lost with its closed menu, goes on to the next row's first button.
    const acted = moveOnFrom;
    moveOnFrom = null;
    const lost = document.activeElement === document.body || !document.activeElement;
    if (acted && acted.isConnected && (acted.contains(document.activeElement) || lost)) {
      const rows = [...main.querySelectorAll("li.img")];
      const next = rows[rows.indexOf(acted) + 1];
      const button = next && next.querySelector(".acts button");
      if (button) button.focus({ preventScroll: true });
    }
    if (a && a.el.isConnected) {
      const delta = a.el.getBoundingClientRect().top - a.top;
      if (Math.abs(delta) >= 1) {
        // A short page cannot scroll by delta: make it tall enough to. (The body's height is
        // the content's; the document's is never less than the window's.)
        const short = window.scrollY + delta + window.innerHeight - document.body.offsetHeight;
        if (short > 0) main.style.minHeight = main.offsetHeight + short + "px";
        window.scrollBy(0, delta);
      }
    }
    enhance();
    swapped = html;
    return true;
  }

  // swapped is the last answer swap brought in.
  let swapped = "";

  // rowIn is the row with the given id in root, if any.
  function rowIn(root, id) {
    const row = root.querySelector("#" + CSS.escape(id));
    return row && row.matches("li.img") ? row : null;
  }

  // morph makes the live node from look like to, keeping from and every node under it that
  // to still has.
  function morph(from, to) {
    if (from.nodeType !== Node.ELEMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    const field = from.matches("input, select, textarea") ? fieldState(from) : null;
    syncAttributes(from, to);
    morphChildren(from, to);
    if (field) restoreField(from, field);
  }

  // What the person changed is theirs: the server's copy does not reset which disclosures
  // (host groups, menus, the token) are open.
  function keptAttribute(el, name) {
    // A row that j/k focused keeps its tabindex: without it, it would lose focus.
    return (name === "open" && el.tagName === "DETAILS") || (name === "tabindex" && el.matches("li.img")) ||
      // What enhance set stays set, rather than be undone and redone on every refresh.
      name === "data-bound" || (name === "hidden" && el.matches("input.select-all, button.copy"));
  }

  function syncAttributes(from, to) {
    for (const attr of [...from.attributes]) {
      if (!to.hasAttribute(attr.name) && !keptAttribute(from, attr.name)) from.removeAttribute(attr.name);
    }
    for (const attr of to.attributes) {
      if (from.getAttribute(attr.name) !== attr.value && !keptAttribute(from, attr.name)) from.setAttribute(attr.name, attr.value);
    }
  }

  // fieldState is what a person did to a form field, when they did anything: a value typed,
  // an option chosen, a box ticked, or the field has focus.
  function fieldState(el) {
    let edited = el === document.activeElement;
    if (el.type === "checkbox" || el.type === "radio") edited = edited || el.checked !== el.defaultChecked;
    else if (el.tagName === "SELECT") edited = edited || [...el.options].some((o) => o.selected !== o.defaultSelected);
    else edited = edited || el.value !== el.defaultValue;
    return edited ? { value: el.value, checked: el.checked } : null;
  }

  function restoreField(el, state) {
    if (el.type === "checkbox" || el.type === "radio") el.checked = state.checked;
    else if (el.value !== state.value) el.value = state.value;
  }

  // idOf reads the id attribute: a form's .id property is its fields named "id" (the bulk
  // form's ticked boxes), not its own id.
  function idOf(n) {
    return (n.nodeType === Node.ELEMENT_NODE && n.getAttribute("id")) || "";
  }

  function similar(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName && !idOf(a) && !idOf(b);
  }

  // sameRows are the ids of the rows the swap under way keeps as they are (data-same): one that
  // moved to another group is left where it was until its new place takes it.
  let sameRows = new Set();

  // morphChildren matches the children of from with those of to: by id where they have one
  // (rows and host groups come, go and stay), else by position and kind.
  function morphChildren(from, to) {
    const byId = new Map();
    for (const c of from.children) if (idOf(c)) byId.set(idOf(c), c);
    const kept = new Set();
    for (const c of to.children) if (idOf(c)) kept.add(idOf(c));
    let cur = from.firstChild;
    for (const next of [...to.childNodes]) {
      const id = idOf(next);
      // A row the server left out is the same as the one shown: it stays, wherever it was.
      const same = id && next.hasAttribute("data-same");
      let match = id ? byId.get(id) : cur && similar(cur, next) ? cur : null;
      if (match && match.parentNode !== from) match = null;
      if (same && !match) match = rowIn(main, id);
      if (!match) {
        from.insertBefore(next, cur);
        continue;
      }
      // Drop what is gone before the match rather than move the match: moving a node takes
      // its focus away.
      while (cur && cur !== match && !kept.has(idOf(cur))) {
        const n = cur.nextSibling;
        if (!sameRows.has(idOf(cur))) cur.remove();
        cur = n;
      }
      if (cur === match) cur = cur.nextSibling;
      else from.insertBefore(match, cur);
      if (!same) morph(match, next);
    }
    while (cur) {
      const n = cur.nextSibling;
      if (!sameRows.has(idOf(cur))) cur.remove();
      cur = n;
    }
  }

  // --- live updates ------------------------------------------------------------------

  const liveTexts = {
    on: "Live updates on",
    reconnecting: "Live updates interrupted: reconnecting",
    off: "Live updates off: reload the page to see changes",
  };

  // setLive shows the stream's state on the dot, and in words for screen readers: a dropped
  // stream must never still say "on".
  function setLive(dot, state) {
    if (!dot) return;
    dot.classList.toggle("on", state === "on");
    dot.classList.toggle("off", state === "off");
    dot.title = liveTexts[state];
    const sr = document.createElement("span");
    sr.className = "sr-only";
    sr.textContent = liveTexts[state];
    dot.replaceChildren(sr);
  }

  function connectLive() {
    if (!document.body.hasAttribute("data-live") || !window.EventSource) return;
    const dot = document.getElementById("live-status");
    const es = new EventSource("/events");
    let timer = 0;
    let dropped = false;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    };
    for (const kind of ["notification", "change", "check"]) es.addEventListener(kind, later);
    es.onopen = () => {
      setLive(dot, "on");
      // What happened while the stream was down was not announced: fetch it now.
      if (dropped) later();
      dropped = false;
    };
    es.onerror = () => {
      dropped = true;
      setLive(dot, es.readyState === EventSource.CLOSED ? "off" : "reconnecting");
    };
  }

  // --- copy buttons ------------------------------------------------------------------

  function selectText(el) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  // copy puts the text of a button's target on the clipboard. navigator.clipboard exists only
  // in a secure context (HTTPS or localhost), and a dashboard on a LAN address is usually plain
  // HTTP: there the text is selected and copied with the older execCommand, and when the
  // browser refuses that too, it stays selected for the person to copy.
  async function copy(button) {
    const el = document.getElementById(button.dataset.copy);
    if (!el) return;
    const what = button.dataset.what || "the text";
    // A snippet shows the token masked: what is copied is its full text, which the selection
    // below can only take once the token is shown.
    const full = el.querySelector("code.full");
    const src = full || el;
    const secret = el.closest("details");
    if (secret) secret.open = true;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(src.textContent);
        showNotice("Copied " + what + ".");
        return;
      } catch (e) {
        /* refused (permissions): fall back to the selection */
      }
    }
    const shown = full && full.hidden && document.querySelector("details.secret");
    if (shown) shown.open = true;
    selectText(src);
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (e) {
      copied = false;
    }
    if (copied) {
      showNotice("Copied " + what + ".");
    } else {
      showNotice("This browser does not let the page copy here. " + what.charAt(0).toUpperCase() + what.slice(1) +
        " is selected: press Ctrl+C (⌘C on a Mac) to copy it.", null, true);
    }
  }

  document.addEventListener("click", (ev) => {
    const b = ev.target.closest && ev.target.closest("button.copy");
    if (b) copy(b);
  });

  // --- filters -----------------------------------------------------------------------
  // The filters apply as they change: a list when a value is chosen, the search after a
  // pause in typing or on Enter. The address changes (cleanly: no empty field, no default)
  // and main is refreshed in place, so the search field keeps its focus and caret.

  const viewDefaults = { state: "open", sort: "host", limit: "200", days: "30" };
  let filterTimer = 0;

  function filterAddress(form) {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) {
      const val = String(v).trim();
      if (val !== "" && viewDefaults[k] !== val && !q.has(k)) q.set(k, val);
    }
    // A page size chosen in the address stays; the page itself starts again.
    const limit = new URLSearchParams(location.search).get("limit");
    if (limit && !q.has("limit")) q.set("limit", limit);
    const s = q.toString();
    return "/" + (s ? "?" + s : "");
  }

  function applyFilters(form, replace) {
    clearTimeout(filterTimer);
    const to = filterAddress(form);
    if (to === here()) return;
    if (replace) history.replaceState(null, "", to);
    else history.pushState(null, "", to);
    refresh();
  }

  function here() {
    return location.pathname + location.search;
  }

  // A search gets one history entry of its own, so that Back goes to the view before it: its
  // first result pushes the entry, and while the typing goes on the results replace it (one
  // Back undoes the whole search, not a letter). The search has settled, and the next one
  // gets an entry of its own, once the field is left, Enter pressed, or no key came for
  // settled ms. typedEntry is the address of the entry the search being typed made.
  const settled = 2000;
  let typedEntry = null;
  let lastKey = 0;

  document.addEventListener("change", (ev) => {
    const form = ev.target.form;
    if (form && form.id === "filters" && ev.target.tagName === "SELECT") applyFilters(form, false);
  });
  document.addEventListener("input", (ev) => {
    const form = ev.target.form;
    if (!form || form.id !== "filters" || ev.target.type !== "search") return;
    clearTimeout(filterTimer);
    if (performance.now() - lastKey > settled) typedEntry = null;
    lastKey = performance.now();
    filterTimer = setTimeout(() => {
      applyFilters(form, typedEntry === here());
      typedEntry = here();
    }, 400);
  });
  document.addEventListener("focusout", (ev) => {
    if (ev.target.form && ev.target.form.id === "filters" && ev.target.type === "search") typedEntry = null;
  });

  // Back and forward between views refresh main the same way, and the filters then show the
  // view's address again: a list once chosen from keeps its choice when the server's copy
  // selects another option, and would name the later view over the list of the earlier one.
  window.addEventListener("popstate", () => {
    typedEntry = null;
    refresh(false, true);
  });
  // A page the browser kept while away (its back/forward cache) may be behind the server.
  window.addEventListener("pageshow", (ev) => {
    if (ev.persisted) refresh(false, true);
  });
  // A page loaded by Back or Forward may have had its fields filled in by the browser, with
  // what they held when it was left, over the server's copy for the address.
  const arrival = performance.getEntriesByType("navigation")[0];
  if (arrival && arrival.type === "back_forward") resetFilters();

  // resetFilters shows in the filters what the server wrote into them for the address.
  function resetFilters() {
    const form = document.getElementById("filters");
    if (form) form.reset();
  }

  // --- selection ------------------------------------------------------------------------
  // Each host group has a box that ticks all of its rows on this page; a shift-click ticks or
  // unticks every row between the last box clicked and this one.

  let lastTicked = null;

  function rowBoxes(root) {
    return [...root.querySelectorAll('li.img input[name="id"]')];
  }

  function syncSelectAll() {
    for (const all of main.querySelectorAll("details.host input.select-all")) {
      const boxes = rowBoxes(all.closest("details.host"));
      const n = boxes.filter((b) => b.checked).length;
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }

  document.addEventListener("click", (ev) => {
    const box = ev.target;
    if (!box.matches || !box.matches('input[type="checkbox"]') || !main.contains(box)) return;
    if (box.matches("input.select-all")) {
      for (const b of rowBoxes(box.closest("details.host"))) b.checked = box.checked;
      lastTicked = null;
      enhance();
      return;
    }
    if (box.name !== "id") return;
    if (ev.shiftKey && lastTicked && lastTicked.isConnected && lastTicked !== box) {
      const all = rowBoxes(main);
      const [a, b] = [all.indexOf(lastTicked), all.indexOf(box)].sort((x, y) => x - y);
      if (a >= 0) for (const other of all.slice(a, b + 1)) other.checked = box.checked;
    }
    lastTicked = box;
    enhance();
  });

  // --- what changed since I last looked --------------------------------------------------
  // "Last looked" is this browser's: a time in localStorage, kept by the browser rather than
  // the server because it is about this person on this device (two people signed in as
  // admin look at different times), costs the server nothing, and needs no sign-in session
  // (AUTH_MODE=none, proxies). The server gives each open row what happened to it, with
  // when (data-marks: "time text" pairs, oldest first); a row shows the first of them since
  // the last look, so that what it says is what happened first while the person was away.
  // The last look moves on when the page is left or hidden, to the time of the data the page
  // was first rendered with (data-rendered), not the clock: what arrived live, perhaps in a
  // background tab, and was never read stays marked on the next visit (after F5, or Back).
  // Times compare in milliseconds on both sides (the server rounds the rows' times up and its
  // own down): a change later in the second of the last look is not lost.

  const lookedKey = "dd-last-looked";
  const lastLooked = Date.parse(localStorage.getItem(lookedKey) || "");
  const renderedHead = main.querySelector("[data-rendered]");
  const rendered = renderedHead ? renderedHead.dataset.rendered : "";

  // firstMark is the first thing that happened to row since the last look, or null.
  function firstMark(row) {
    for (const part of (row.dataset.marks || "").split(";")) {
      const at = part.indexOf(" ");
      if (at < 0) continue;
      const when = part.slice(0, at);
      if (Date.parse(when) > lastLooked) return { when: new Date(when), text: part.slice(at + 1) };
    }
    return null;
  }

  function markNew() {
    if (isNaN(lastLooked)) return;
    for (const row of main.querySelectorAll("li.img[data-marks]")) {
      const name = row.querySelector(".name");
      let mark = row.querySelector(".name .mark");
      const first = name && firstMark(row);
      if (!first) {
        if (mark) mark.remove();
        continue;
      }
      if (!mark) {
        mark = document.createElement("span");
        mark.className = "mark";
        // After the badges and links, on a line of its own under them (app.css).
        (name.querySelector(".extras") || name).append(" ", mark);
      }
      if (mark.textContent !== first.text) mark.textContent = first.text;
      // When it happened (the text is on the mark).
      const title = localFormat.format(first.when) + " (" + utcText(first.when) + ")";
      if (mark.title !== title) mark.title = title;
    }
  }

  function looked() {
    if (!rendered || !document.querySelector("main li.img, main #setup")) return;
    // Never back: a later look, in another tab, stands.
    const before = Date.parse(localStorage.getItem(lookedKey) || "");
    if (isNaN(before) || Date.parse(rendered) > before) localStorage.setItem(lookedKey, rendered);
  }
  window.addEventListener("pagehide", looked);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") looked();
  });

  // --- keyboard --------------------------------------------------------------------------
  // j/k move between rows, a acknowledges, s snoozes for 7 days and i ignores the focused row,
  // Enter opens it, x ticks it, / goes to the search, ? lists the keys. Never while typing in a field, nor with a modifier (the browser's and
  // the screen reader's own keys).

  // The disclosures that float over the page: a row's menu, the legend.
  const popups = "details.menu[open], details.legend[open]";

  function focusRowEl(row) {
    if (!row) return;
    row.tabIndex = -1;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    const a = document.activeElement;
    return a && a.closest ? a.closest("main li.img") : null;
  }

  function moveRow(by) {
    const rows = [...main.querySelectorAll("details.host[open] li.img")];
    if (!rows.length) return;
    const at = rows.indexOf(currentRow());
    focusRowEl(rows[at < 0 ? (by > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, at + by))]);
  }

  function rowAction(value) {
    const row = currentRow();
    const button = row && row.querySelector('.acts button[value="' + value + '"]');
    if (!button) return;
    button.form.requestSubmit(button);
    // On to the next row at once: the next key acts there, whether or not this row leaves
    // the view (it stays in the view of every state). The last row keeps focus; when it
    // leaves, the refresh gives focus to the row before it.
    focusRowEl(row);
    moveRow(1);
  }

  const keys = [
    ["j", "Next row"],
    ["k", "Previous row"],
    ["a", "Acknowledge the row"],
    ["s", "Snooze the row for 7 days"],
    ["i", "Ignore the row"],
    ["Enter", "Open the row's page"],
    ["/", "Search"],
    ["x", "Tick the row (for the bulk actions)"],
    ["u", "Undo the last action, while its notice shows"],
    ["?", "Show these keys"],
    ["Esc", "Close a menu or this list"],
  ];

  function showHelp() {
    let dlg = document.getElementById("keys-help");
    if (!dlg) {
      dlg = document.createElement("dialog");
      dlg.id = "keys-help";
      dlg.className = "keys-help";
      dlg.setAttribute("aria-labelledby", "keys-help-h");
      const h = document.createElement("h2");
      h.id = "keys-help-h";
      h.textContent = "Keyboard shortcuts";
      const dl = document.createElement("dl");
      for (const [k, what] of keys) {
        const dt = document.createElement("dt");
        const kbd = document.createElement("kbd");
        kbd.textContent = k;
        dt.append(kbd);
        const dd = document.createElement("dd");
        dd.textContent = what;
        dl.append(dt, dd);
      }
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", () => dlg.close());
      dlg.append(h, dl, close);
      document.body.append(dlg);
    }
    if (!dlg.open) dlg.showModal();
  }

  document.addEventListener("keydown", (ev) => {
    // Escape in the search clears it and applies at once (the field keeps its focus).
    const field = ev.target;
    if (ev.key === "Escape" && field.id === "filter-q" && field.form && field.value !== "") {
      ev.preventDefault();
      field.value = "";
      typedEntry = null;
      applyFilters(field.form, false);
      return;
    }
    if (ev.key === "Escape") {
      // A menu closes and gives focus back to its button.
      const menu = document.activeElement && document.activeElement.closest && document.activeElement.closest(popups);
      for (const m of document.querySelectorAll(popups)) m.open = false;
      if (menu) menu.querySelector("summary").focus();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    const t = ev.target;
    if (t.closest && t.closest("input, select, textarea, [contenteditable], dialog")) return;
    if (ev.key === "/") {
      // The search field, unfolded first on a phone.
      const q = document.getElementById("filter-q");
      if (!q) return;
      const box = q.closest("details");
      if (box) box.open = true;
      q.focus();
      q.select();
      ev.preventDefault();
      return;
    }
    if (!main.querySelector("li.img") && ev.key !== "?" && ev.key !== "u") return;
    switch (ev.key) {
      case "j": moveRow(1); break;
      case "k": moveRow(-1); break;
      case "a": rowAction("acknowledge"); break;
      case "s": rowAction("snooze-7d"); break;
      case "i": rowAction("ignore"); break;
      case "Enter": {
        // Only on the row itself: on its links and buttons Enter does what they do.
        const row = currentRow();
        if (!row || t !== row) return;
        row.querySelector(".name a").click();
        break;
      }
      case "x": {
        const box = currentRow() && currentRow().querySelector('input[name="id"]');
        if (box) {
          box.checked = !box.checked;
          lastTicked = box;
          enhance();
        }
        break;
      }
      case "u": {
        const undo = !notice.hidden && notice.querySelector("button.undo");
        if (!undo) return;
        undo.click();
        break;
      }
      case "?": showHelp(); break;
      default: return;
    }
    ev.preventDefault();
  });

  // A menu (or the legend) closes when the click lands outside it, and only one is open at a
  // time.
  document.addEventListener("click", (ev) => {
    for (const m of document.querySelectorAll(popups)) {
      if (!m.contains(ev.target)) m.open = false;
    }
  });

  // --- small enhancements ------------------------------------------------------------

  // enhance readies what the server rendered; it runs after each refresh, so it only sets
  // state (the listeners are on the document, once).
  function enhance() {
    // Copy buttons only work with a script, so they start hidden.
    for (const b of document.querySelectorAll("button.copy[hidden]")) b.hidden = false;
    // Remember which host groups a person folded, and whether the chart was left open.
    for (const d of document.querySelectorAll("details.host")) {
      if (d.dataset.bound) continue;
      d.dataset.bound = "1";
      if (localStorage.getItem("dd-folded:" + d.dataset.host)) d.open = false;
    }
    const chart = document.getElementById("chart");
    if (chart && !chart.dataset.bound) {
      chart.dataset.bound = "1";
      if (localStorage.getItem("dd-chart-open")) chart.open = true;
    }
    localizeTimes(main);
    labelZones(main);
    // The select-all boxes need this script; the window's title counts the open updates.
    for (const b of main.querySelectorAll("input.select-all[hidden]")) b.hidden = false;
    syncSelectAll();
    markNew();
    const head = main.querySelector("[data-title]");
    if (head && document.title !== head.dataset.title) document.title = head.dataset.title;
    // Keep the bulk bar's count in step with the ticked boxes.
    const count = document.getElementById("bulk-count");
    if (count) {
      const ticked = [...main.querySelectorAll('input[name="id"]:checked')];
      count.textContent = ticked.length ? ticked.length + " selected:" : "Selected images:";
      offerBulkActions(ticked);
    }
  }

  // offerBulkActions shows only the bulk actions that change at least one ticked row: Reopen
  // when one is not open, Acknowledge when one is not acknowledged, Ignore when one is not
  // ignored (snoozing, tagging and deleting always change something). Without this script
  // the bar offers them all, and the server says what it changed.
  function offerBulkActions(ticked) {
    const bar = document.getElementById("bulk");
    if (!bar) return;
    // An open row carries no data-state (it carries data-marks instead).
    const states = new Set(ticked.map((box) => (box.closest("li.img") || {dataset: {}}).dataset.state || "open"));
    const changes = { reopen: "open", acknowledge: "acknowledged", ignore: "ignored" };
    for (const [action, state] of Object.entries(changes)) {
      const b = bar.querySelector('button[value="' + action + '"]');
      if (b) b.hidden = ticked.length > 0 && [...states].every((s) => s === state);
    }
  }

  // toggle does not bubble: listen in the capture phase, once for every group.
  document.addEventListener("toggle", (ev) => {
    const d = ev.target;
    if (d.id === "chart") {
      if (d.open) localStorage.setItem("dd-chart-open", "1");
      else localStorage.removeItem("dd-chart-open");
      return;
    }
    if (!d.matches || !d.matches("details.host")) return;
    const key = "dd-folded:" + d.dataset.host;
    if (d.open) localStorage.removeItem(key);
    else localStorage.setItem(key, "1");
  }, true);

  document.addEventListener("change", (ev) => {
    if (ev.target.name === "id") enhance();
  });

  // A notice that a plain form post left in the address is shown once, then dropped.
  const params = new URLSearchParams(location.search);
  if (params.has("notice")) {
    params.delete("notice");
    params.delete("ns");
    params.delete("undo");
    const q = params.toString();
    history.replaceState(null, "", location.pathname + (q ? "?" + q : "") + location.hash);
  }

  // On a phone the filters fold behind their summary while none is set, so that the first
  // screen shows updates; wider, they are always open. Only on load and when the width
  // changes: a refresh keeps whatever the person opened.
  const narrow = window.matchMedia("(max-width: 40rem)");
  function fitFilters() {
    const box = document.getElementById("filterbox");
    if (!box) return;
    box.open = !narrow.matches || box.hasAttribute("data-active");
  }
  narrow.addEventListener("change", fitFilters);
  fitFilters();

  // The outcome of a plain form post (a page reached without this script's fetch): shown
  // like any other, its Undo form (the server's, for pages without a script) as the button.
  if (!notice.hidden) {
    const text = notice.querySelector(".notice-text");
    const form = notice.querySelector("form.undo");
    const undo = form && { action: form.getAttribute("action"), fields: [...new FormData(form)] };
    showNotice(text ? text.textContent : notice.textContent, undo);
  }
  enhance();
  connectLive();
})();
