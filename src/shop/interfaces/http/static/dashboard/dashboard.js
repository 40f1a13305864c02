/* The shop's sales dashboard: signs in as an admin, reads the analytics summary,
 * and follows the live feeds (/ws/orders, /ws/inventory) without reloading.
 *
 * The tokens live in this closure only (never in storage or cookies): a reload
 * or a sign-out forgets them. Money arrives as decimal strings and is shown
 * from those strings; only the percentage changes are computed as numbers.
 */
(function () {
  "use strict";

  const API = "/api/v1";
  const REFRESH_AFTER_EVENT_MS = [250, 1000, 2500];
  const SAFETY_REFRESH_MS = 30000;
  const TICKER_SIZE = 20;
  const FORECAST_DAYS = 30;
  const DAY_MS = 24 * 3600 * 1000;

  const session = { access: null, refresh: null, email: null };
  const sockets = { orders: null, inventory: null, retry: null, closing: false };
  const timers = { refresh: [], safety: null };
  let chart = null;
  let watched = new Set();

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ money and dates

  function minorUnits(text) {
    const negative = text.startsWith("-");
    const [whole, fraction = "00"] = text.replace("-", "").split(".");
    const value = parseInt(whole, 10) * 100 + parseInt((fraction + "00").slice(0, 2), 10);
    return negative ? -value : value;
  }

  function money(text, currency) {
    const negative = text.startsWith("-");
    const [whole, fraction = "00"] = text.replace("-", "").split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const symbol = { USD: "$", EUR: "€", GBP: "£" }[currency];
    const amount = `${grouped}.${(fraction + "00").slice(0, 2)}`;
    const shown = symbol ? `${symbol}${amount}` : `${amount} ${currency}`;
    return negative ? `-${shown}` : shown;
  }

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function windowFor(days) {
    const now = new Date();
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    const start = new Date(end.getTime() - days * DAY_MS);
    const previous = new Date(start.getTime() - days * DAY_MS);
    return { current: { from: isoDay(start), to: isoDay(end) },
             previous: { from: isoDay(previous), to: isoDay(start) } };
  }

  function change(current, previous) {
    if (previous === 0) {
      return current === 0 ? { text: "no change vs previous", kind: "" }
                           : { text: "new vs previous window", kind: "up" };
    }
    const percent = ((current - previous) / Math.abs(previous)) * 100;
    const sign = percent > 0 ? "+" : "";
    return { text: `${sign}${percent.toFixed(1)}% vs previous`,
             kind: percent > 0 ? "up" : percent < 0 ? "down" : "" };
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  // ------------------------------------------------------------------------ the API

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  async function call(path, options = {}, retry = true) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (session.access) headers.Authorization = `Bearer ${session.access}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method: options.method || "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 401 && retry && session.refresh && path !== `${API}/auth/refresh`) {
      if (await refreshTokens()) return call(path, options, false);
    }
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  // Refresh tokens are single-use (a reused one revokes its family), so the calls of one
  // load that all meet an expired access token share one refresh instead of racing.
  let refreshing = null;

  function refreshTokens() {
    if (!refreshing) {
      refreshing = refreshOnce().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  async function refreshOnce() {
    try {
      const pair = await call(`${API}/auth/refresh`, { method: "POST", body: { refresh_token: session.refresh } }, false);
      session.access = pair.access_token;
      session.refresh = pair.refresh_token;
      return true;
    } catch (error) {
      return false;
    }
  }

  // ------------------------------------------------------------------------ sign in

  async function signIn(event) {
    event.preventDefault();
    const button = $("sign-in-button");
    const error = $("sign-in-error");
    error.hidden = true;
    button.disabled = true;
    const email = $("email").value.trim();
    try {
      const pair = await call(`${API}/auth/token`, { method: "POST", body: { email, password: $("password").value } }, false);
      session.access = pair.access_token;
      session.refresh = pair.refresh_token;
      const me = await call(`${API}/customers/me`);
      if (me.role !== "admin") {
        forget();
        throw new Error("This account is not an admin: the dashboard needs an admin account.");
      }
      session.email = me.email;
      $("password").value = "";
      await showDashboard();
    } catch (failure) {
      forget();
      error.textContent = signInMessage(failure);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function signInMessage(failure) {
    if (failure instanceof ApiError) {
      if (failure.status === 401) return "Wrong email or password.";
      if (failure.status === 429) return "Too many attempts: wait a little and try again.";
      if (failure.status === 400 || failure.status === 422) return "Enter an email and a password.";
      return `Signing in failed: ${failure.message}`;
    }
    return failure.message || "Signing in failed.";
  }

  function forget() {
    session.access = null;
    session.refresh = null;
    session.email = null;
  }

  async function signOut(message) {
    const refresh = session.refresh;
    stopLive();
    if (refresh) {
      call(`${API}/auth/logout`, { method: "POST", body: { refresh_token: refresh } }, false).catch(() => {});
    }
    forget();
    $("dashboard").hidden = true;
    $("sign-in").hidden = false;
    const error = $("sign-in-error");
    error.textContent = message || "";
    error.hidden = !message;
    $("email").focus();
  }

  // ---------------------------------------------------------------------- dashboard

  async function showDashboard() {
    $("sign-in").hidden = true;
    $("dashboard").hidden = false;
    $("who").textContent = session.email;
    $("ticker").innerHTML = '<li class="muted empty">Waiting for orders…</li>';
    await load();
    startLive();
    clearInterval(timers.safety);
    timers.safety = setInterval(load, SAFETY_REFRESH_MS);
  }

  async function load() {
    if (!session.access) return;
    const days = parseInt($("window").value, 10);
    const span = windowFor(days);
    // The forecast is an AI feature that may be turned off (503): the sales figures do not wait on it.
    const stockouts = call(`${API}/inventory/forecast?horizon_days=${FORECAST_DAYS}&limit=5`)
      .catch((failure) => failure);
    try {
      const [current, previous] = await Promise.all([
        call(`${API}/analytics/summary?from=${span.current.from}&to=${span.current.to}`),
        call(`${API}/analytics/summary?from=${span.previous.from}&to=${span.previous.to}`),
      ]);
      $("dashboard-error").hidden = true;
      render(current, previous, days);
      renderStockouts(await stockouts);
    } catch (failure) {
      if (failure instanceof ApiError && (failure.status === 401 || failure.status === 403)) {
        await signOut("Your session ended: sign in again.");
        return;
      }
      $("dashboard-error").textContent = `Could not load the figures: ${failure.message}`;
      $("dashboard-error").hidden = false;
    }
  }

  function render(current, previous, days) {
    setKpi("kpi-revenue", money(current.revenue, current.currency),
           change(minorUnits(current.revenue), minorUnits(previous.revenue)));
    setKpi("kpi-orders", String(current.orders_count),
           change(current.orders_count, previous.orders_count));
    setKpi("kpi-aov", money(current.average_order_value, current.currency),
           change(minorUnits(current.average_order_value), minorUnits(previous.average_order_value)));
    $("window-label").textContent = `· last ${days} days`;
    renderChart(current);
    renderStatuses(current.orders_by_status);
    renderTopProducts(current);
    renderLowStock(current.low_stock);
    $("updated").textContent = new Date().toLocaleTimeString();
    watch([...current.low_stock, ...current.top_products].map((p) => p.product_id));
  }

  function setKpi(id, text, delta) {
    const value = $(id);
    if (value.textContent !== text && value.textContent !== "–") {
      value.classList.remove("flash");
      void value.offsetWidth; // restart the animation
      value.classList.add("flash");
    }
    value.textContent = text;
    const note = $(`${id}-change`);
    note.textContent = delta.text;
    note.className = `kpi-change ${delta.kind}`;
  }

  function renderChart(summary) {
    const labels = summary.revenue_by_day.map((d) => d.date.slice(5));
    const values = summary.revenue_by_day.map((d) => minorUnits(d.revenue) / 100);
    if (typeof Chart === "undefined") return;
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = values;
      chart.update("none");
      return;
    }
    chart = new Chart($("revenue-chart"), {
      type: "bar",
      data: { labels, datasets: [{ label: `Revenue (${summary.currency})`, data: values,
                                   backgroundColor: "rgba(56, 189, 248, .75)", borderRadius: 4 }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false },
                   tooltip: { callbacks: { label: (item) => money(summary.revenue_by_day[item.dataIndex].revenue, summary.currency) } } },
        scales: {
          x: { ticks: { color: "#8a9bb8", maxRotation: 0, autoSkip: true }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { color: "#8a9bb8" }, grid: { color: "#1e2b47" } },
        },
      },
    });
  }

  function renderStatuses(statuses) {
    const total = Object.values(statuses).reduce((a, b) => a + b, 0) || 1;
    $("statuses").replaceChildren(...["Pending", "Paid", "Shipped", "Cancelled"].map((status) => {
      const item = document.createElement("li");
      item.dataset.status = status;
      const share = Math.round(((statuses[status] || 0) / total) * 100);
      item.innerHTML = `<span class="badge ${status}"></span><span class="bar"><span style="width:${share}%"></span></span><span class="count"></span>`;
      item.querySelector(".badge").textContent = status;
      item.querySelector(".count").textContent = String(statuses[status] || 0);
      return item;
    }));
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const [text, className] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (className) td.className = className;
      tr.appendChild(td);
    }
    return tr;
  }

  function renderTopProducts(summary) {
    const body = $("top-products");
    if (!summary.top_products.length) {
      body.replaceChildren(row([["No sales in this window yet.", "muted"]]));
      return;
    }
    body.replaceChildren(...summary.top_products.map((p) =>
      row([[p.name], [String(p.units), "num"], [money(p.revenue, summary.currency), "num"]])));
  }

  function renderLowStock(products) {
    const body = $("low-stock");
    if (!products.length) {
      body.replaceChildren(row([["Every product is well stocked.", "muted"]]));
      return;
    }
    body.replaceChildren(...products.map((p) => {
      const tr = row([[p.name], [String(p.stock), p.stock === 0 ? "num low" : "num"]]);
      tr.dataset.productId = p.product_id;
      return tr;
    }));
  }

  function renderStockouts(forecast) {
    const body = $("stockouts");
    if (forecast instanceof Error) {
      body.replaceChildren(row([[`No forecast: ${forecast.message}`, "muted"]]));
      return;
    }
    const running = forecast.items.filter((f) => f.days_until_stockout !== null
                                                 && f.days_until_stockout <= FORECAST_DAYS);
    if (!running.length) {
      body.replaceChildren(row([[`Nothing runs out in the next ${FORECAST_DAYS} days.`, "muted"]]));
      return;
    }
    body.replaceChildren(...running.map((f) => {
      const soon = f.days_until_stockout < 7 ? "num low" : "num";
      const tr = row([[f.name], [String(f.stock), "num"],
                      [f.days_until_stockout.toFixed(1), soon], [String(f.reorder_quantity), "num"]]);
      tr.dataset.productId = f.product_id;
      tr.title = `Out by ${f.stockout_date} at ${f.daily_demand.toFixed(2)} a day (${f.method})`;
      return tr;
    }));
  }

  function scheduleRefresh() {
    timers.refresh.forEach(clearTimeout);
    timers.refresh = REFRESH_AFTER_EVENT_MS.map((delay) => setTimeout(load, delay));
  }

  // --------------------------------------------------------------------- live feeds

  function wsUrl(path) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${path}`;
  }

  function startLive() {
    sockets.closing = false;
    openOrders();
    openInventory();
  }

  function stopLive() {
    sockets.closing = true;
    clearTimeout(sockets.retry);
    clearInterval(timers.safety);
    timers.refresh.forEach(clearTimeout);
    for (const name of ["orders", "inventory"]) {
      if (sockets[name]) sockets[name].close(1000);
      sockets[name] = null;
    }
    watched = new Set();
    setLive();
  }

  function setLive() {
    const on = sockets.orders && sockets.orders.readyState === WebSocket.OPEN;
    $("live").classList.toggle("on", Boolean(on));
    $("live").textContent = on ? "● live" : "○ reconnecting";
  }

  function reconnectLater() {
    if (sockets.closing || !session.access) return;
    clearTimeout(sockets.retry);
    sockets.retry = setTimeout(async () => {
      if (sockets.closing) return;
      if (!sockets.orders) openOrders();
      if (!sockets.inventory) openInventory();
    }, 2000);
  }

  function openOrders() {
    const socket = new WebSocket(wsUrl(`/ws/orders?token=${encodeURIComponent(session.access)}`));
    sockets.orders = socket;
    socket.onopen = setLive;
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "order_status_changed") onOrder(data);
    };
    socket.onclose = async (closed) => {
      if (sockets.orders === socket) sockets.orders = null;
      setLive();
      if (sockets.closing) return;
      if ((closed.code === 4401 || closed.code === 1008) && !(await refreshTokens())) {
        await signOut("Your session ended: sign in again.");
        return;
      }
      reconnectLater();
    };
  }

  function openInventory() {
    const socket = new WebSocket(wsUrl("/ws/inventory"));
    sockets.inventory = socket;
    socket.onopen = () => {
      const ids = [...watched];
      if (ids.length) socket.send(JSON.stringify({ type: "subscribe", product_ids: ids }));
    };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "stock_changed") onStock(data);
    };
    socket.onclose = () => {
      if (sockets.inventory === socket) sockets.inventory = null;
      reconnectLater();
    };
  }

  function watch(productIds) {
    const wanted = new Set(productIds);
    const socket = sockets.inventory;
    const added = [...wanted].filter((id) => !watched.has(id));
    const dropped = [...watched].filter((id) => !wanted.has(id));
    watched = wanted;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (added.length) socket.send(JSON.stringify({ type: "subscribe", product_ids: added }));
    if (dropped.length) socket.send(JSON.stringify({ type: "unsubscribe", product_ids: dropped }));
  }

  async function onOrder(data) {
    // One line per order: a later status of the same order updates its line and lifts it.
    const ticker = $("ticker");
    ticker.querySelector(".empty")?.remove();
    let item = ticker.querySelector(`li[data-order-id="${data.order_id}"]`);
    const known = Boolean(item);
    if (!item) {
      item = document.createElement("li");
      item.dataset.orderId = data.order_id;
      item.innerHTML = '<span class="time"></span><span><span class="badge"></span> <span class="what"></span></span><span class="amount"></span>';
      item.querySelector(".what").textContent = `order ${data.order_id.slice(0, 8)}`;
    }
    item.querySelector(".time").textContent = clock(data.at);
    const badge = item.querySelector(".badge");
    badge.textContent = data.status;
    badge.className = `badge ${data.status}`;
    item.classList.remove("new");
    void item.offsetWidth; // restart the highlight
    item.classList.add("new");
    ticker.prepend(item);
    while (ticker.children.length > TICKER_SIZE) ticker.lastElementChild.remove();
    scheduleRefresh();
    if (known) return;
    try {
      const order = await call(`${API}/orders/${data.order_id}`);
      item.querySelector(".amount").textContent = money(order.total, order.currency);
      const units = order.lines.reduce((sum, line) => sum + line.quantity, 0);
      item.querySelector(".what").textContent = `order ${data.order_id.slice(0, 8)} · ${units} item${units === 1 ? "" : "s"}`;
    } catch (failure) {
      /* the ticker line stays without its amount */
    }
  }

  function onStock(data) {
    const tr = document.querySelector(`#low-stock tr[data-product-id="${data.product_id}"]`);
    if (tr) {
      const cell = tr.lastElementChild;
      cell.textContent = String(data.stock);
      cell.className = data.stock === 0 ? "num low" : "num";
    }
    scheduleRefresh();
  }

  // ------------------------------------------------------------------------- wiring

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut());
    $("window").addEventListener("change", load);
    $("email").focus();
  });
})();
