// DiunDashboard's only script. The pages work without it; with it, actions run without a
// reload and offer an undo, and the page refreshes itself when the live stream says that
// something changed.
"use strict";

(function () {
  const main = document.getElementById("main");
  const notice = document.getElementById("notice");
  let noticeTimer = 0;

  // --- notices -----------------------------------------------------------------------

  function showNotice(message, undo, isError) {
    clearTimeout(noticeTimer);
    notice.textContent = "";
    notice.classList.toggle("error", !!isError);
    const text = document.createElement("span");
    text.textContent = message;
    notice.append(text);
    if (undo) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Undo";
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
    noticeTimer = setTimeout(hideNotice, undo ? 10000 : 6000);
  }

  function hideNotice() {
    notice.hidden = true;
  }

  // --- actions -----------------------------------------------------------------------

  async function send(action, body) {
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
    showNotice(data.message || "Done.", data.undo);
    const deleted = action.endsWith("/delete") || body.get("action") === "delete";
    if (deleted && action.startsWith("/images/") && location.pathname.startsWith("/images/")) {
      location.href = "/";
      return;
    }
    refresh();
  }

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.method.toLowerCase() !== "post" || form.hasAttribute("data-plain")) {
      const q = ev.submitter && ev.submitter.dataset.confirm;
      if (q && !confirm(q)) ev.preventDefault();
      return;
    }
    ev.preventDefault();
    const submitter = ev.submitter;
    const q = submitter && submitter.dataset.confirm;
    if (q && !confirm(q)) return;
    const body = new URLSearchParams(new FormData(form, submitter));
    // The date picker gives local time: send it as an absolute time.
    const local = body.get("until_local");
    if (local) body.set("until", new Date(local).toISOString());
    if (q) body.set("confirm", "yes");
    const action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    // Close the menu the action came from.
    const menu = submitter && submitter.closest("details.menu");
    if (menu) menu.open = false;
    send(action, body);
  });

  // --- refreshing the page's main element -------------------------------------------

  let refreshing = false;
  let again = false;

  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      const res = await fetch(location.href, { headers: { "X-Fragment": "main" }, credentials: "same-origin" });
      if (res.status === 401) {
        location.reload();
        return;
      }
      if (res.ok) swap(await res.text());
    } catch (e) {
      /* offline: the next event or reload catches up */
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  // swap replaces main's content and keeps what the person was doing: ticked boxes, open
  // host groups, open menus and focus.
  function swap(html) {
    const checked = new Set([...main.querySelectorAll('input[name="id"]:checked')].map((i) => i.value));
    const closed = new Set([...main.querySelectorAll("details.host:not([open])")].map((d) => d.dataset.host));
    const openMenu = main.querySelector("details.menu[open]");
    const openMenuRow = openMenu && openMenu.closest("li") && openMenu.closest("li").id;
    const active = document.activeElement;
    const focusId = active && active.id;
    const inputs = {};
    for (const el of main.querySelectorAll("input[id], select[id]")) {
      if (el.type !== "checkbox" && el.type !== "hidden") inputs[el.id] = el.value;
    }
    main.innerHTML = html;
    for (const box of main.querySelectorAll('input[name="id"]')) box.checked = checked.has(box.value);
    for (const d of main.querySelectorAll("details.host")) if (closed.has(d.dataset.host)) d.open = false;
    if (openMenuRow) {
      const m = document.querySelector("#" + CSS.escape(openMenuRow) + " details.menu");
      if (m) m.open = true;
    }
    for (const [id, v] of Object.entries(inputs)) {
      const el = document.getElementById(id);
      if (el && el !== document.activeElement) el.value = v;
    }
    if (focusId) {
      const el = document.getElementById(focusId);
      if (el) el.focus();
    }
    enhance();
  }

  // --- live updates ------------------------------------------------------------------

  function connectLive() {
    if (!document.body.hasAttribute("data-live") || !window.EventSource) return;
    const dot = document.getElementById("live-status");
    const es = new EventSource("/events");
    let timer = 0;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 150);
    };
    for (const kind of ["notification", "change", "check"]) es.addEventListener(kind, later);
    es.onopen = () => {
      if (dot) {
        dot.classList.add("on");
        dot.title = "Live updates on";
        dot.innerHTML = '<span class="sr-only">Live updates on</span>';
      }
    };
    es.onerror = () => {
      if (dot) {
        dot.classList.remove("on");
        dot.title = "Live updates reconnecting";
      }
    };
  }

  // --- small enhancements ------------------------------------------------------------

  function enhance() {
    // Copy buttons only work with a script, so they start hidden.
    for (const b of document.querySelectorAll("button.copy[hidden]")) {
      b.hidden = false;
      b.addEventListener("click", async () => {
        const el = document.getElementById(b.dataset.copy);
        try {
          await navigator.clipboard.writeText(el.textContent);
          showNotice("Copied.");
        } catch (e) {
          showNotice("Cannot copy here: select the text and copy it by hand.", null, true);
        }
      });
    }
    // Remember which host groups a person folded.
    for (const d of document.querySelectorAll("details.host")) {
      if (d.dataset.bound) continue;
      d.dataset.bound = "1";
      const key = "dd-folded:" + d.dataset.host;
      if (localStorage.getItem(key)) d.open = false;
      d.addEventListener("toggle", () => {
        if (d.open) localStorage.removeItem(key);
        else localStorage.setItem(key, "1");
      });
    }
    // Keep the bulk bar's count in step with the ticked boxes.
    const count = document.getElementById("bulk-count");
    if (count) {
      const n = main.querySelectorAll('input[name="id"]:checked').length;
      count.textContent = n ? n + " selected:" : "Selected images:";
    }
  }

  document.addEventListener("change", (ev) => {
    if (ev.target.name === "id") enhance();
  });

  // A notice that a plain form post left in the address is shown once, then dropped.
  const params = new URLSearchParams(location.search);
  if (params.has("notice")) {
    params.delete("notice");
    params.delete("ns");
    const q = params.toString();
    history.replaceState(null, "", location.pathname + (q ? "?" + q : "") + location.hash);
  }

  if (!notice.hidden) noticeTimer = setTimeout(hideNotice, 8000);
  enhance();
  connectLive();
})();
