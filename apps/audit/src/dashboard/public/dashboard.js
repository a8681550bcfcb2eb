/* global document, window, sessionStorage, fetch, TextDecoder, AbortController, URLSearchParams */
// credroam audit dashboard: plain browser JavaScript, no build step, no third-party code. The operator token is
// typed in, kept in sessionStorage (gone when the tab closes) and sent as "Authorization: Bearer"; the live
// stream is read with fetch() streaming because EventSource cannot send that header. Every value from the API
// reaches the page through textContent, never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'credroam.audit.token';
  const FEED_ROWS = 200;
  const FLEET_REFRESH_MS = 15000;
  const ERROR_CODES = new Set([1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012]);
  const WARNING_CODES = new Set([501, 502]);

  const $ = (id) => document.getElementById(id);
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    stream: null,
    liveCount: 0,
    fleetTimer: null,
    fleetDue: 0,
    incoming: [],
  };

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function setStatus(text, kind) {
    const status = $('status');
    status.textContent = text;
    status.className = `status ${kind}`;
  }

  function showMessage(text) {
    const message = $('message');
    message.textContent = text || '';
    message.hidden = !text;
  }

  async function api(path) {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
    if (response.status === 401) {
      setStatus('token refused', 'error');
      throw new Error('The operator token was refused.');
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error((body.error && body.error.message) || `HTTP ${response.status}`);
    }
    return response.json();
  }

  // Live feed

  function details(event) {
    const p = event.payload || {};
    switch (event.type) {
      case 'sync.completed': {
        const c = p.counts || {};
        return `${p.trigger}: ${p.upToDate ? 'up to date' : `↑${c.uploads} ↓${c.downloads} ✕${c.tombstones}`}, ${c.conflicts} conflicts, ${p.durationMs} ms`;
      }
      case 'sync.started':
        return `trigger ${p.trigger}`;
      case 'sync.failed':
        return `${p.error && p.error.code}: ${p.error && p.error.message}`;
      case 'token.conflict':
        return `${p.type} ${p.id}: ${p.kind}, ${p.winner} won`;
      case 'token.rejected':
        return `${p.tokenType || 'token'} ${p.displayId}: ${p.code}`;
      case 'token.reported':
        return `${p.tokenType || 'value'} ${p.displayId}: ${p.reason}`;
      case 'policy.limit-exceeded':
        return `${p.limit}: ${p.actual} > ${p.allowed}`;
      case 'message.dead-lettered':
        return `${p.queue}: ${p.originalRoutingKey} (${p.reason})`;
      default:
        if (p.type && p.id) return `${p.type} ${p.id}${p.size !== undefined ? ` (${p.size} bytes)` : ''}`;
        return '';
    }
  }

  function addFeedRow(event) {
    const body = $('feed').tBodies[0];
    const row = document.createElement('tr');
    row.dataset.eventId = event.id;
    row.dataset.type = event.type;
    row.className = ERROR_CODES.has(event.code)
      ? 'error fresh'
      : WARNING_CODES.has(event.code)
        ? 'warning fresh'
        : 'fresh';
    const time = new Date(event.occurredAt);
    [
      time.toLocaleTimeString(),
      event.type,
      event.code,
      event.user || '',
      event.machine || '',
      details(event),
    ].forEach((value) => row.appendChild(element('td', value)));
    row.cells[0].title = event.occurredAt;
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > FEED_ROWS) body.deleteRow(body.rows.length - 1);
  }

  // Rows are added at most ten times a second, so a burst of events costs a few layouts, not one per event.
  // (A timer, not requestAnimationFrame: a background tab pauses animation frames, timers only slow down.)
  function queueFeedRow(event) {
    state.incoming.push(event);
    if (state.incoming.length > 1) return;
    window.setTimeout(() => {
      const events = state.incoming.splice(0);
      events.slice(-FEED_ROWS).forEach(addFeedRow);
      state.liveCount += events.length;
      $('count-live').textContent = String(state.liveCount);
      scheduleFleetRefresh(1000);
    }, 100);
  }

  function parseFrames(buffer, onFrame) {
    let rest = buffer;
    for (;;) {
      const end = rest.indexOf('\n\n');
      if (end < 0) return rest;
      const frame = rest.slice(0, end);
      rest = rest.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onFrame(name, data.join('\n'));
    }
  }

  async function openStream() {
    if (state.stream) state.stream.abort();
    const controller = new AbortController();
    state.stream = controller;
    let retryMs = 1000;
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/v1/stream', {
          headers: { Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (response.status === 401) {
          setStatus('token refused', 'error');
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer = parseFrames(buffer + decoder.decode(value, { stream: true }), (name, data) => {
            if (name === 'ready') {
              retryMs = 1000;
              setStatus('live', 'on');
            } else if (name === 'audit-event') {
              queueFeedRow(JSON.parse(data));
            }
          });
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        showMessage(`Live stream interrupted (${error.message}); reconnecting.`);
      }
      setStatus('reconnecting…', 'off');
      await new Promise((resolve) => window.setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, 15000);
    }
  }

  // Fleet counters and chart

  function drawChart(summary) {
    const canvas = $('chart');
    const ctx = canvas.getContext('2d');
    const width = canvas.width;
    const height = canvas.height;
    ctx.clearRect(0, 0, width, height);
    const from = Date.parse(summary.from);
    const bucketMs = summary.bucketSeconds * 1000;
    const count = Math.max(1, Math.ceil((Date.parse(summary.to) - from) / bucketMs));
    const max = Math.max(1, ...summary.syncs.map((b) => b.completed + b.failed));
    const barWidth = width / count;
    const styles = window.getComputedStyle(document.documentElement);
    for (const bucket of summary.syncs) {
      // The first bucket may start before the window (buckets align to the clock).
      const index = Math.max(0, Math.floor((Date.parse(bucket.start) - from) / bucketMs));
      const x = index * barWidth;
      const okHeight = (bucket.completed / max) * (height - 14);
      const badHeight = (bucket.failed / max) * (height - 14);
      ctx.fillStyle = styles.getPropertyValue('--ok') || 'green';
      ctx.fillRect(x + 1, height - okHeight, Math.max(1, barWidth - 2), okHeight);
      ctx.fillStyle = styles.getPropertyValue('--bad') || 'red';
      ctx.fillRect(x + 1, height - okHeight - badHeight, Math.max(1, barWidth - 2), badHeight);
    }
    ctx.fillStyle = '#666';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(`max ${max}/${summary.bucketSeconds / 60} min`, 4, 11);
  }

  function renderCodeTable(container, title, rows) {
    container.appendChild(element('h3', title));
    if (rows.length === 0) {
      container.appendChild(element('p', 'none', 'empty'));
      return;
    }
    const table = element('table');
    for (const row of rows) {
      const tr = element('tr');
      tr.appendChild(element('td', row.code));
      tr.appendChild(element('td', row.name || ''));
      tr.appendChild(element('td', row.count));
      table.appendChild(tr);
    }
    container.appendChild(table);
  }

  async function refreshFleet() {
    const summary = await api('/v1/fleet/summary');
    $('count-completed').textContent = String(summary.totals.syncsCompleted);
    $('count-failed').textContent = String(summary.totals.syncsFailed);
    $('count-conflicts').textContent = String(summary.totals.conflicts);
    $('count-rejections').textContent = String(summary.totals.rejections);
    $('count-limits').textContent = String(summary.totals.limitHits);
    $('count-dead').textContent = String(summary.totals.deadLettered);
    drawChart(summary);
    const failures = $('failures');
    failures.replaceChildren();
    renderCodeTable(failures, 'Failures by code', summary.failuresByCode);
    await refreshCertificates();
  }

  // A refresh already due sooner stays: a steady stream of events must not postpone it forever.
  function scheduleFleetRefresh(delayMs) {
    const due = Date.now() + delayMs;
    if (state.fleetTimer !== null && state.fleetDue <= due) return;
    window.clearTimeout(state.fleetTimer);
    state.fleetDue = due;
    state.fleetTimer = window.setTimeout(() => {
      state.fleetTimer = null;
      refreshFleet()
        .catch((error) => showMessage(error.message))
        .finally(() => scheduleFleetRefresh(FLEET_REFRESH_MS));
    }, delayMs);
  }

  // User summary

  function table(headers, rows) {
    const node = element('table');
    const head = element('tr');
    headers.forEach((h) => head.appendChild(element('th', h)));
    node.appendChild(head);
    for (const cells of rows) {
      const tr = element('tr');
      cells.forEach((cell) => tr.appendChild(element('td', cell)));
      node.appendChild(tr);
    }
    return node;
  }

  function section(container, title, headers, rows) {
    container.appendChild(element('h3', title));
    container.appendChild(rows.length ? table(headers, rows) : element('p', 'none', 'empty'));
  }

  async function showUser(user) {
    const container = $('user-summary');
    container.replaceChildren(element('p', 'loading…', 'empty'));
    const [summary, certificates] = await Promise.all([
      api(`/v1/users/${encodeURIComponent(user)}/summary`),
      api(`/v1/certificates?user=${encodeURIComponent(user)}&limit=100`),
    ]);
    container.replaceChildren();
    container.dataset.user = summary.user;
    section(
      container,
      'Tokens by type',
      ['type', 'live', 'tombstoned', 'bytes'],
      summary.tokensByType.map((t) => [t.tokenType, t.live, t.tombstoned, t.bytes]),
    );
    section(
      container,
      'Certificates',
      ['expires', 'subject', 'key', 'weak'],
      certificates.certificates.map((c) => [
        `${c.notAfter.slice(0, 10)}${c.expired ? ' (expired)' : ''}`,
        c.subject,
        keyText(c),
        c.weaknesses.join(', '),
      ]),
    );
    section(
      container,
      'Last sync per machine',
      ['machine', 'outcome', 'code', 'at'],
      summary.machines.map((m) => [m.machine, m.outcome, m.code, new Date(m.at).toLocaleString()]),
    );
    section(
      container,
      'Open conflicts',
      ['at', 'token', 'kind', 'winner'],
      summary.openConflicts.map((e) => [
        new Date(e.occurredAt).toLocaleString(),
        `${e.payload.type} ${e.payload.id}`,
        e.payload.kind,
        e.payload.winner,
      ]),
    );
    section(
      container,
      'Rejections by code',
      ['code', 'name', 'count'],
      summary.rejections.byCode.map((r) => [r.code, r.name || '', r.count]),
    );
    section(
      container,
      'Limit hits',
      ['at', 'limit', 'actual', 'allowed'],
      summary.limitHits.recent.map((e) => [
        new Date(e.occurredAt).toLocaleString(),
        e.payload.limit,
        e.payload.actual,
        e.payload.allowed,
      ]),
    );
  }

  // Certificate inventory

  const DAY_MS = 86400000;

  function drawExpiryChart(summary) {
    const canvas = $('expiry-chart');
    const ctx = canvas.getContext('2d');
    const width = canvas.width;
    const height = canvas.height;
    ctx.clearRect(0, 0, width, height);
    const weeks = 26;
    const firstWeek = summary.weeks.length ? Date.parse(summary.weeks[0].start) : Date.parse(summary.now);
    // The chart starts at this week's Monday, as the API's buckets do.
    const now = Date.parse(summary.now);
    const monday = Math.floor((now - 4 * DAY_MS) / (7 * DAY_MS)) * 7 * DAY_MS + 4 * DAY_MS;
    const from = Math.min(monday, firstWeek);
    const max = Math.max(1, ...summary.weeks.map((w) => w.count));
    const barWidth = width / weeks;
    const styles = window.getComputedStyle(document.documentElement);
    for (const week of summary.weeks) {
      const index = Math.round((Date.parse(week.start) - from) / (7 * DAY_MS));
      if (index < 0 || index >= weeks) continue;
      const x = index * barWidth;
      const allHeight = (week.count / max) * (height - 28);
      const weakHeight = (week.weak / max) * (height - 28);
      ctx.fillStyle = styles.getPropertyValue('--ok') || 'green';
      ctx.fillRect(x + 2, height - 14 - allHeight, Math.max(1, barWidth - 4), allHeight);
      ctx.fillStyle = styles.getPropertyValue('--bad') || 'red';
      ctx.fillRect(x + 2, height - 14 - weakHeight, Math.max(1, barWidth - 4), weakHeight);
      ctx.fillStyle = '#333';
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(String(week.count), x + 4, height - 16 - allHeight);
    }
    ctx.fillStyle = '#666';
    ctx.font = '11px system-ui, sans-serif';
    for (let index = 0; index < weeks; index += 4) {
      const label = new Date(from + index * 7 * DAY_MS).toISOString().slice(5, 10);
      ctx.fillText(label, index * barWidth + 2, height - 2);
    }
    ctx.textAlign = 'right';
    ctx.fillText(`max ${max}/week`, width - 4, 11);
    ctx.textAlign = 'left';
  }

  function keyText(certificate) {
    return certificate.keySize
      ? `${certificate.keyAlgorithm} ${certificate.keySize}`
      : certificate.keyAlgorithm;
  }

  async function refreshCertificates() {
    const summary = await api('/v1/certificates/summary?weeks=26');
    $('cert-total').textContent = String(summary.total);
    $('cert-7d').textContent = String(summary.expiring['7d']);
    $('cert-30d').textContent = String(summary.expiring['30d']);
    $('cert-expired').textContent = String(summary.expired);
    $('cert-weak').textContent = String(summary.weak);
    drawExpiryChart(summary);
    await searchCertificates();
  }

  async function searchCertificates() {
    const params = new URLSearchParams({ limit: '200' });
    const text = $('cert-search').value.trim();
    if (text) params.set('q', text);
    if ($('cert-within').value) params.set('expiringWithinDays', $('cert-within').value);
    if ($('cert-weak-only').checked) params.set('weak', 'true');
    const page = await api(`/v1/certificates?${params}`);
    const body = $('cert-table').tBodies[0];
    body.replaceChildren();
    const now = Date.parse(page.now);
    for (const certificate of page.certificates) {
      const row = document.createElement('tr');
      row.dataset.thumbprint = certificate.thumbprint;
      const left = Date.parse(certificate.notAfter) - now;
      row.className =
        certificate.expired || left < 7 * DAY_MS ? 'error' : left < 30 * DAY_MS ? 'warning' : '';
      const days = Math.ceil(left / DAY_MS);
      [
        `${certificate.notAfter.slice(0, 10)} (${certificate.expired ? 'expired' : `${days} d`})`,
        certificate.user,
        certificate.subject,
        certificate.issuer,
        keyText(certificate),
        certificate.signatureAlgorithm,
        certificate.weaknesses.join(', '),
        certificate.thumbprint,
      ].forEach((value) => row.appendChild(element('td', value)));
      row.cells[0].title = certificate.notAfter;
      body.appendChild(row);
    }
    const more = $('cert-more');
    more.hidden = !page.truncated && page.certificates.length > 0;
    more.textContent = page.certificates.length === 0 ? 'none' : 'more match: narrow the search';
  }

  // Wiring

  function connect() {
    if (!state.token) {
      setStatus('not connected', 'off');
      return;
    }
    showMessage('');
    setStatus('connecting…', 'off');
    openStream();
    scheduleFleetRefresh(0);
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.token = $('token').value.trim();
    $('token').value = '';
    if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
    connect();
  });

  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = '';
    if (state.stream) state.stream.abort();
    window.clearTimeout(state.fleetTimer);
    state.fleetTimer = null;
    setStatus('not connected', 'off');
  });

  $('cert-form').addEventListener('submit', (event) => {
    event.preventDefault();
    searchCertificates().catch((error) => showMessage(error.message));
  });

  $('user-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const user = $('user-search').value.trim();
    if (user) showUser(user).catch((error) => showMessage(error.message));
  });

  connect();
})();
