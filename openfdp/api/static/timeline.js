/* openfdp pathway timeline: fetches one person's pathways from POST /graphql with the
 * user's bearer token and draws them as an SVG timeline (docs/timeline.md).
 *
 * No framework, no network access beyond this origin. Data is only ever written with
 * textContent / setAttribute, never parsed as HTML. The page signals its progress on
 * <body data-state="starting|idle|loading|ready|error"> (and data-error on errors).
 */
(function () {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "openfdp.timeline.token";
  const DAY_MS = 86400000;
  const THRESHOLDS = [18, 52, 65, 78, 104];
  const BREACH_COLOURS = { 18: "#ffb81c", 52: "#ed8b00", 65: "#da291c", 78: "#a00054", 104: "#4c0026" };
  const EFFECT_COLOURS = { START: "#009639", CONTINUE: "#005eb8", STOP: "#231f20", NOT_RTT: "#768692" };
  const UNKNOWN_EFFECT_COLOUR = "#ae2573";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const SEX = { 0: "not known", 1: "male", 2: "female", 9: "not specified" };
  const ATTENDED = { 5: "attended on time", 6: "arrived late, seen", 7: "arrived late, not seen",
    2: "cancelled by patient", 3: "did not attend", 4: "cancelled by provider" };
  const ALIASES_PER_REQUEST = 10;
  const MAX_TIMELINE_PAGES = 20;

  const PERSON_QUERY = `query TimelinePerson($pseudoId: String!, $after: String) {
  person(pseudoId: $pseudoId) {
    pseudoId yearOfBirth sexCode areaCode
    pathways { id providerOds treatmentFunctionCode referralRequestReceivedDate pathwayStatus }
    timeline(after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { date kind code codeSystem display recordId pathwayId providerOds }
    }
  }
}`;

  const LANE_FRAGMENT = `fragment Lane on Pathway {
  id ppid ppidIssuerOds providerOds treatmentFunctionCode treatmentFunctionName
  priorityTypeCode referralRequestReceivedDate pathwayStatus daysWaiting weeksWaiting
  provider { odsCode name } person { pseudoId }
  clockPeriods { periodId startDate endDate status stopStatusCode lengthDays daysWaited
    weeksWaited breachDate18w breachDate52w breachDate65w breachDate78w breachDate104w
    nullified dataQualityFlags }
  statusEvents { eventId statusCode activityDate seq statusDisplay clockEffect }
  appointments { appointmentId appointmentDate firstAttendanceCode attendedOrDnaCode
    outcomeOfAttendanceCode consultationMediumCode site { odsCode name } }
  procedures { procedureId procedureDate codeSystem code display }
  diagnoses { diagnosisId diagnosisDate codeSystem code display isPrimary }
}`;

  // ------------------------------------------------------------------ small helpers

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, parent, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function svg(tag, attrs, parent, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  function tooltip(node, text) {
    svg("title", {}, node, text);
    return node;
  }

  /** "YYYY-MM-DD" -> UTC milliseconds (null when absent or malformed). */
  function day(value) {
    if (typeof value !== "string") return null;
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : null;
  }

  function isoDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function fmt(ms) {
    if (ms === null || ms === undefined) return "—";
    const d = new Date(ms);
    return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  }

  function localToday() {
    const now = new Date();
    return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  }

  function shortId(id) {
    return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id;
  }

  function truncate(text, n) {
    return text.length > n ? `${text.slice(0, n - 1)}…` : text;
  }

  // ------------------------------------------------------------------ page state

  class PageError extends Error {
    constructor(kind, title, message) {
      super(message);
      this.kind = kind;
      this.title = title;
    }
  }

  function setState(state, errorKind) {
    document.body.dataset.state = state;
    if (errorKind) document.body.dataset.error = errorKind;
    else delete document.body.dataset.error;
  }

  function showMessage(level, title, text) {
    const box = $("message");
    box.className = `message ${level}`;
    box.dataset.level = level;
    $("message-title").textContent = title;
    $("message-text").textContent = text;
    box.hidden = false;
  }

  function hideMessage() {
    $("message").hidden = true;
  }

  function fail(err) {
    const e = err instanceof PageError
      ? err
      : new PageError("script", "The page failed.", String(err && err.message ? err.message : err));
    ["person-card", "chart-card", "details"].forEach((id) => { $(id).hidden = true; });
    showMessage("error", e.title, e.message);
    setState("error", e.kind);
  }

  // ------------------------------------------------------------------ token handling

  function tokenFromFragment() {
    if (!location.hash || location.hash.length < 2) return;
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get("token");
    if (token) sessionStorage.setItem(TOKEN_KEY, token.trim());
    // drop the fragment so the token is not left in the address bar or history
    history.replaceState(null, "", location.pathname + location.search);
  }

  function currentToken() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showTokenState() {
    const saved = Boolean(currentToken());
    const label = $("token-state");
    label.textContent = saved ? "kept in this tab" : "none in this tab";
    label.className = saved ? "saved" : "";
  }

  // ------------------------------------------------------------------ GraphQL

  async function graphql(query, variables) {
    const token = currentToken();
    let response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query, variables }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (err) {
      throw new PageError("network", "The openfdp API could not be reached.",
        "Check your network connection and that the service is running, then try again.");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    const first = body && Array.isArray(body.errors) && body.errors.length ? body.errors[0] : null;
    const said = first && first.message ? first.message
      : body && body.error && body.error.message ? body.error.message : null;
    if (response.status === 401) {
      throw new PageError("unauthenticated", "Authentication failed.",
        `${said || "The token was not accepted."} Paste a valid token above and try again.`);
    }
    if (response.status === 403) {
      throw new PageError("forbidden", "Access denied.",
        `${said || "Your token does not give access to these records."}`);
    }
    if (response.status === 503) {
      throw new PageError("unavailable", "The service is unavailable.",
        said || "The graph database is not reachable right now; please retry shortly.");
    }
    if (response.status === 504) {
      throw new PageError("timeout", "The request took too long.",
        said || "The API gave up waiting; please retry.");
    }
    if (!response.ok || body === null) {
      throw new PageError("server", `The API answered with an error (HTTP ${response.status}).`,
        said || "The response could not be read.");
    }
    const raw = Array.isArray(body.errors) ? body.errors : [];
    const errors = raw.map((e) => e.message);
    // a refusal nulls the field it hits, so it is an error even when data is present;
    // extensions.code (FORBIDDEN, UNAUTHENTICATED, ...) is used when the API gives one
    const refusals = raw.filter((e) => {
      const code = e.extensions && e.extensions.code;
      return code ? code === "FORBIDDEN" || code === "UNAUTHENTICATED"
        : /not available to this role|needs a bearer token/i.test(e.message || "");
    });
    if (refusals.length) {
      throw new PageError("forbidden", "Access denied.", refusals.map((e) => e.message).join(" "));
    }
    if (errors.length && (body.data === null || body.data === undefined)) {
      throw new PageError("graphql", "The API refused the query.", errors.join(" "));
    }
    return { data: body.data, errors };
  }

  async function loadPerson(pseudoId) {
    let person = null;
    const timeline = [];
    const warnings = [];
    let after = null;
    for (let page = 0; page < MAX_TIMELINE_PAGES; page += 1) {
      const { data, errors } = await graphql(PERSON_QUERY, { pseudoId, after });
      warnings.push(...errors);
      if (!data.person) return { person: null, timeline, warnings };
      person = data.person;
      const conn = person.timeline;
      timeline.push(...conn.nodes);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    return { person, timeline, warnings };
  }

  async function loadPathways(ids, asOf) {
    const lanes = new Map();
    const warnings = [];
    for (let i = 0; i < ids.length; i += ALIASES_PER_REQUEST) {
      const chunk = ids.slice(i, i + ALIASES_PER_REQUEST);
      const params = chunk.map((_, j) => `$id${j}: ID!`).join(", ");
      const fields = chunk.map((_, j) => `p${j}: pathway(id: $id${j}, asOf: $asOf) { ...Lane }`).join("\n  ");
      const query = `query TimelinePathways($asOf: Date, ${params}) {\n  ${fields}\n}\n${LANE_FRAGMENT}`;
      const variables = { asOf };
      chunk.forEach((id, j) => { variables[`id${j}`] = id; });
      const { data, errors } = await graphql(query, variables);
      warnings.push(...errors);
      chunk.forEach((id, j) => { if (data[`p${j}`]) lanes.set(id, data[`p${j}`]); });
    }
    return { lanes, warnings };
  }

  // ------------------------------------------------------------------ model

  /** Breach lines of one clock period: reached ones, plus the next one of a running clock. */
  function breachesOf(period, asOfMs, all) {
    if (period.nullified) return [];
    const start = day(period.startDate);
    const end = period.endDate ? day(period.endDate) : asOfMs;
    const out = [];
    let nextShown = false;
    for (const weeks of THRESHOLDS) {
      const at = day(period[`breachDate${weeks}w`]) ?? start + weeks * 7 * DAY_MS;
      const reached = at <= end;
      if (reached || all || (!period.endDate && !nextShown)) {
        out.push({ weeks, at, reached });
        if (!reached) nextShown = true;
      }
    }
    return out;
  }

  function buildModel(person, timeline, lanesById, asOfMs, allBreaches) {
    const lanes = [];
    for (const summary of person.pathways) {
      const p = lanesById.get(summary.id);
      if (!p) continue;
      const periods = p.clockPeriods.map((c) => ({
        ...c,
        start: day(c.startDate),
        end: c.endDate ? day(c.endDate) : null,
        breaches: breachesOf(c, asOfMs, allBreaches),
      }));
      lanes.push({
        id: p.id,
        pathway: p,
        linked: Boolean(p.person && p.person.pseudoId !== person.pseudoId),
        periods,
        events: p.statusEvents.map((e) => ({ ...e, at: day(e.activityDate) })).filter((e) => e.at !== null),
        appointments: p.appointments.map((a) => ({ ...a, at: day(a.appointmentDate) })).filter((a) => a.at !== null),
        procedures: p.procedures.map((x) => ({ ...x, at: day(x.procedureDate) })).filter((x) => x.at !== null),
        diagnoses: p.diagnoses.map((x) => ({ ...x, at: day(x.diagnosisDate) })).filter((x) => x.at !== null),
        other: [],
      });
    }
    const laneIds = new Set(lanes.map((l) => l.id));
    const other = timeline
      .filter((t) => !t.pathwayId || !laneIds.has(t.pathwayId))
      .filter((t) => t.kind !== "RTT_STATUS")
      .map((t) => ({ ...t, at: day(t.date) }))
      .filter((t) => t.at !== null);
    if (other.length) {
      lanes.push({ id: null, pathway: null, linked: false, periods: [], events: [], appointments: [],
        procedures: [], diagnoses: [], other });
    }
    return lanes;
  }

  function domainOf(lanes, asOfMs) {
    const dates = [asOfMs];
    for (const lane of lanes) {
      if (lane.pathway) {
        const r = day(lane.pathway.referralRequestReceivedDate);
        if (r !== null) dates.push(r);
      }
      for (const p of lane.periods) {
        dates.push(p.start, p.end ?? asOfMs);
        for (const b of p.breaches) dates.push(b.at);
      }
      for (const list of [lane.events, lane.appointments, lane.procedures, lane.diagnoses, lane.other]) {
        for (const x of list) dates.push(x.at);
      }
    }
    const lo = Math.min(...dates);
    const hi = Math.max(...dates);
    const pad = Math.max(21 * DAY_MS, (hi - lo) * 0.03);
    return [lo - pad, hi + pad];
  }

  /** Month-start ticks, thinned to keep labels apart. */
  function ticksOf(lo, hi, widthPx) {
    const spanMonths = (hi - lo) / (30.44 * DAY_MS);
    const steps = [1, 2, 3, 6, 12, 24];
    const step = steps.find((s) => (widthPx / (spanMonths / s)) >= 70) || 24;
    const start = new Date(lo);
    let y = start.getUTCFullYear();
    let m = start.getUTCMonth() + 1;
    const ticks = [];
    for (let guard = 0; guard < 600; guard += 1) {
      if (m > 11) { y += 1; m -= 12; }
      const at = Date.UTC(y, m, 1);
      if (at > hi) break;
      if (m % step === 0) ticks.push({ at, label: m === 0 || !ticks.length ? `${MONTHS[m]} ${y}` : MONTHS[m] });
      m += 1;
    }
    return ticks;
  }

  // ------------------------------------------------------------------ drawing

  const LAYOUT = { left: 252, right: 28, top: 34, lane: 110, gap: 10, axis: 46 };

  function marker(kind, parent, x, y, fill, stroke) {
    if (kind === "circle") return svg("circle", { cx: x, cy: y, r: 6.5, fill, stroke, "stroke-width": 2 }, parent);
    if (kind === "diamond") {
      return svg("path", { d: `M${x} ${y - 7}L${x + 7} ${y}L${x} ${y + 7}L${x - 7} ${y}Z`, fill, stroke, "stroke-width": 2 }, parent);
    }
    if (kind === "triangle") {
      return svg("path", { d: `M${x} ${y - 7}L${x + 7} ${y + 6}L${x - 7} ${y + 6}Z`, fill, stroke, "stroke-width": 1.5 }, parent);
    }
    return svg("rect", { x: x - 5.5, y: y - 5.5, width: 11, height: 11, rx: 2, fill, stroke, "stroke-width": 1.5 }, parent);
  }

  /** Positions for markers at sorted xs, at least minGap apart, kept within [lo, hi]. */
  function dodge(xs, minGap, lo, hi) {
    const out = [];
    xs.forEach((x, i) => { out.push(i ? Math.max(x, out[i - 1] + minGap) : x); });
    for (let i = out.length - 1; i >= 0; i -= 1) {
      out[i] = Math.min(out[i], i === out.length - 1 ? hi : out[i + 1] - minGap);
    }
    return out.map((x) => Math.max(lo, x));
  }

  function appointmentStyle(code) {
    if (code === "3" || code === "7") return { fill: "#ffffff", stroke: "#da291c" };
    if (code === "2" || code === "4") return { fill: "#d8dde0", stroke: "#768692" };
    return { fill: "#00a499", stroke: "#006747" };
  }

  function drawDefs(root) {
    const defs = svg("defs", {}, root);
    const grad = svg("linearGradient", { id: "open-end", x1: 0, x2: 1, y1: 0, y2: 0 }, defs);
    svg("stop", { offset: "0%", "stop-color": "#005eb8" }, grad);
    svg("stop", { offset: "100%", "stop-color": "#41b6e6" }, grad);
    const hatch = svg("pattern", { id: "nullified", width: 6, height: 6, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" }, defs);
    svg("rect", { width: 6, height: 6, fill: "#e8edee" }, hatch);
    svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#768692", "stroke-width": 2 }, hatch);
  }

  function laneLabel(g, lane, y, personId) {
    const x = 14;
    if (!lane.pathway) {
      svg("text", { x, y: y + 30, class: "lane-title", "font-size": 14, "font-weight": 700, fill: "#425563" }, g, "Other activity");
      svg("text", { x, y: y + 48, "font-size": 11.5, fill: "#768692" }, g, "encounters and records on no pathway");
      return;
    }
    const p = lane.pathway;
    const title = `${p.providerOds} · ${p.treatmentFunctionCode ? `TFC ${p.treatmentFunctionCode}` : "no TFC"}`;
    svg("text", { x, y: y + 24, class: "lane-title", "font-size": 14.5, "font-weight": 700, fill: "#003087" }, g, title);
    const name = p.provider && p.provider.name ? p.provider.name : "provider name not loaded";
    svg("text", { x, y: y + 43, "font-size": 11.5, fill: "#425563" }, g, truncate(name, 38));
    svg("text", { x, y: y + 59, "font-size": 11.5, fill: "#425563" }, g,
      truncate(p.treatmentFunctionName || "treatment function not coded", 38));
    const status = p.pathwayStatus === "closed" || (lane.periods.length && lane.periods.at(-1).end !== null)
      ? "clock stopped" : p.weeksWaiting !== null && p.weeksWaiting !== undefined
        ? `${p.weeksWaiting} weeks waiting` : "no clock period";
    const statusNode = svg("text", { x, y: y + 79, "font-size": 11.5, "font-weight": 600,
      fill: !status.endsWith("waiting") ? "#425563" : (p.weeksWaiting || 0) >= 18 ? "#da291c" : "#009639" }, g, status);
    if (lane.linked) {
      const bx = x + 6 + Math.min(statusNode.getComputedTextLength ? statusNode.getComputedTextLength() : 90, 130);
      const badge = svg("g", { class: "linked-badge" }, g);
      svg("rect", { x: bx + 6, y: y + 68, width: 74, height: 15, rx: 7.5, fill: "#e8edee", stroke: "#330072" }, badge);
      svg("text", { x: bx + 43, y: y + 79, "font-size": 9.5, "text-anchor": "middle", fill: "#330072" }, badge, "via linkage");
      tooltip(badge, `Record of a linked person (same cluster as ${shortId(personId)})`);
    }
  }

  function draw(container, lanes, asOfMs, personId) {
    container.textContent = "";
    const width = Math.max(760, container.clientWidth || 1100);
    const height = LAYOUT.top + lanes.length * (LAYOUT.lane + LAYOUT.gap) + LAYOUT.axis;
    const [lo, hi] = domainOf(lanes, asOfMs);
    const x0 = LAYOUT.left;
    const x1 = width - LAYOUT.right;
    const xOf = (ms) => x0 + ((ms - lo) / (hi - lo)) * (x1 - x0);
    const root = svg("svg", { id: "timeline-svg", width, height, viewBox: `0 0 ${width} ${height}`,
      role: "img", "aria-label": `Timeline of ${lanes.length} lanes`, "data-lanes": lanes.length,
      "font-family": "Arial, Helvetica, sans-serif" }, container);
    drawDefs(root);
    const chartBottom = height - LAYOUT.axis;

    // grid and axis
    const axis = svg("g", { class: "axis" }, root);
    for (const t of ticksOf(lo, hi, x1 - x0)) {
      const x = xOf(t.at);
      const tick = svg("g", { class: "tick", "data-date": isoDay(t.at) }, axis);
      svg("line", { x1: x, x2: x, y1: LAYOUT.top - 4, y2: chartBottom, stroke: "#e8edee" }, tick);
      svg("line", { x1: x, x2: x, y1: chartBottom, y2: chartBottom + 6, stroke: "#768692" }, tick);
      svg("text", { x, y: chartBottom + 20, "font-size": 11, "text-anchor": "middle", fill: "#425563" }, tick, t.label);
    }
    svg("line", { x1: x0, x2: x1, y1: chartBottom, y2: chartBottom, stroke: "#768692" }, axis);

    // lanes
    lanes.forEach((lane, i) => {
      const y = LAYOUT.top + i * (LAYOUT.lane + LAYOUT.gap);
      const g = svg("g", { class: "lane", "data-pathway-id": lane.id || "", "data-provider": lane.pathway ? lane.pathway.providerOds : "",
        "data-tfc": lane.pathway ? lane.pathway.treatmentFunctionCode || "" : "", "data-linked": lane.linked }, root);
      svg("rect", { x: 4, y, width: width - 8, height: LAYOUT.lane, rx: 5, fill: i % 2 ? "#f7f9fa" : "#fbfcfc", stroke: "#e8edee" }, g);
      svg("line", { x1: x0 - 8, x2: x0 - 8, y1: y + 8, y2: y + LAYOUT.lane - 8, stroke: "#d8dde0" }, g);
      laneLabel(g, lane, y, personId);
      const barY = y + 58;
      const empty = [lane.periods, lane.events, lane.appointments, lane.procedures, lane.diagnoses, lane.other]
        .every((list) => !list.length);
      if (empty) {
        svg("text", { class: "empty-note", x: x0 + 12, y: barY + 4, "font-size": 12, "font-style": "italic", fill: "#768692" }, g,
          "no status event, clock period or dated activity recorded for this pathway");
      }

      // clock periods
      for (const p of lane.periods) {
        const open = p.end === null;
        const xs = xOf(p.start);
        const xe = xOf(open ? asOfMs : p.end);
        const bar = svg("g", { class: "period-group" }, g);
        const rect = svg("rect", { class: "period", x: xs, y: barY - 8, width: Math.max(2, xe - xs), height: 16, rx: 3,
          fill: p.nullified ? "url(#nullified)" : open ? "url(#open-end)" : "#41b6e6",
          stroke: p.nullified ? "#768692" : "#005eb8", "stroke-width": 1.5,
          "data-period-id": p.periodId, "data-open": open, "data-weeks": p.weeksWaited ?? "" }, bar);
        if (open) {
          svg("path", { class: "open-arrow", d: `M${xe + 1} ${barY - 8}L${xe + 11} ${barY}L${xe + 1} ${barY + 8}Z`, fill: "#41b6e6" }, bar);
        }
        const wk = p.weeksWaited !== null && p.weeksWaited !== undefined ? `${p.weeksWaited}w` : "";
        const label = p.nullified ? "nullified" : open ? `${wk} · running` : `${wk} · stop ${p.stopStatusCode || "?"}`;
        if (xe - xs > 62) {
          svg("text", { x: xs + 6, y: barY + 4, "font-size": 10.5, "font-weight": 700, fill: open ? "#ffffff" : "#003087" }, bar, label);
        }
        const flags = (p.dataQualityFlags || []).length ? `\nData quality: ${p.dataQualityFlags.join(", ")}` : "";
        tooltip(rect, `Clock period ${fmt(p.start)} – ${open ? `running (to ${fmt(asOfMs)})` : fmt(p.end)}`
          + `\n${p.weeksWaited ?? "?"} weeks waited${open ? "" : `; stopped with code ${p.stopStatusCode || "?"}`}${flags}`);

        // breach lines for this period, within the lane
        for (const b of p.breaches) {
          const x = xOf(b.at);
          const line = svg("g", { class: "breach-group" }, g);
          svg("line", { class: "breach", x1: x, x2: x, y1: y + 16, y2: y + LAYOUT.lane - 4, stroke: BREACH_COLOURS[b.weeks],
            "stroke-width": 2, "stroke-dasharray": b.reached ? null : "5 4", "data-weeks": b.weeks,
            "data-period-id": p.periodId, "data-reached": b.reached, "data-date": isoDay(b.at) }, line);
          svg("text", { x: x + 3, y: y + 13, "font-size": 10, "font-weight": 700, fill: BREACH_COLOURS[b.weeks] }, line, `${b.weeks}w`);
          tooltip(line, `${b.weeks}-week breach date ${fmt(b.at)}${b.reached ? " (reached)" : " (ahead)"}`);
        }
      }

      // RTT status events above the bar, with their codes; events days apart are spread
      // sideways and joined to their date on the bar by a leader line
      const eventXs = dodge(lane.events.map((e) => xOf(e.at)), 20, x0, x1);
      const circleY = barY - 26;
      lane.events.forEach((e, k) => {
        const x = xOf(e.at);
        const px = eventXs[k];
        const colour = EFFECT_COLOURS[e.clockEffect] || UNKNOWN_EFFECT_COLOUR;
        const m = svg("g", { class: "event", "data-code": e.statusCode, "data-effect": e.clockEffect || "", "data-date": e.activityDate }, g);
        svg("path", { d: `M${x} ${barY - 8}L${x} ${barY - 13}L${px} ${circleY + 7}`, fill: "none", stroke: colour, "stroke-width": 1 }, m);
        marker("circle", m, px, circleY, "#ffffff", colour);
        svg("text", { x: px, y: circleY - 10, "font-size": 10.5, "font-weight": 700, "text-anchor": "middle", fill: colour }, m, e.statusCode);
        tooltip(m, `${fmt(e.at)} · RTT status ${e.statusCode}${e.statusDisplay ? ` – ${e.statusDisplay}` : ""}`
          + `${e.clockEffect ? ` (${e.clockEffect.replace("_", " ").toLowerCase()})` : ""}`);
      });

      // appointments below the bar; procedures and diagnoses (with their codes) below those
      const below = barY + 22;
      const lower = barY + 38;
      const apptXs = dodge(lane.appointments.map((a) => xOf(a.at)), 16, x0, x1);
      lane.appointments.forEach((a, k) => {
        const x = xOf(a.at);
        const px = apptXs[k];
        const s = appointmentStyle(a.attendedOrDnaCode);
        const m = svg("g", { class: "appointment", "data-code": a.attendedOrDnaCode || "", "data-date": a.appointmentDate }, g);
        if (Math.abs(px - x) > 0.5) {
          svg("path", { d: `M${x} ${barY + 8}L${px} ${below - 7}`, fill: "none", stroke: s.stroke, "stroke-width": 1 }, m);
        }
        marker("diamond", m, px, below, s.fill, s.stroke);
        tooltip(m, `${fmt(a.at)} · appointment${a.firstAttendanceCode === "1" ? " (first)" : ""}`
          + `${a.attendedOrDnaCode ? ` – ${ATTENDED[a.attendedOrDnaCode] || `code ${a.attendedOrDnaCode}`}` : ""}`
          + `${a.site ? ` at ${a.site.odsCode}` : ""}`);
      });
      const coded = [
        ...lane.procedures.map((x) => ({ ...x, kind: "procedure", date: x.procedureDate, shape: "triangle", colour: "#330072" })),
        ...lane.diagnoses.map((x) => ({ ...x, kind: "diagnosis", date: x.diagnosisDate, shape: "square", colour: "#7c2855" })),
      ].sort((a, b) => a.at - b.at);
      const codedXs = dodge(coded.map((x) => xOf(x.at)), 58, x0, x1 - 40);
      coded.forEach((x, k) => {
        const px = codedXs[k];
        const m = svg("g", { class: x.kind, "data-code": x.code, "data-date": x.date }, g);
        marker(x.shape, m, px, lower, x.colour, x.colour);
        svg("text", { x: px + 9, y: lower + 4, "font-size": 10, fill: x.colour }, m, x.code);
        tooltip(m, `${fmt(x.at)} · ${x.kind} ${x.codeSystem} ${x.code}${x.display ? ` – ${x.display}` : ""}`);
      });
      for (const o of lane.other) {
        const px = xOf(o.at);
        const m = svg("g", { class: "other-event", "data-kind": o.kind, "data-date": o.date }, g);
        marker("square", m, px, barY, "#aeb7bd", "#425563");
        svg("text", { x: px + 9, y: barY + 4, "font-size": 10.5, fill: "#425563" }, m, o.code || o.kind.toLowerCase());
        tooltip(m, `${fmt(o.at)} · ${o.kind.toLowerCase()} at ${o.providerOds}${o.code ? ` – ${o.code}` : ""}${o.display ? ` ${o.display}` : ""}`);
      }
    });

    // as-of line across every lane
    const tx = xOf(asOfMs);
    const today = svg("g", { class: "today", "data-date": isoDay(asOfMs) }, root);
    svg("line", { class: "today-line", x1: tx, x2: tx, y1: LAYOUT.top - 10, y2: chartBottom, stroke: "#231f20", "stroke-width": 1.5, "stroke-dasharray": "2 3" }, today);
    svg("text", { x: tx, y: LAYOUT.top - 14, "font-size": 11, "font-weight": 700, "text-anchor": "middle", fill: "#231f20" }, today, `as of ${fmt(asOfMs)}`);
    return root;
  }

  function drawLegend(container) {
    container.textContent = "";
    const item = (label, paint) => {
      const span = el("span", { class: "legend-item" }, container);
      const s = svg("svg", { width: 26, height: 18, viewBox: "0 0 26 18" }, span);
      paint(s);
      el("span", {}, span, label);
    };
    item("clock period (closed)", (s) => svg("rect", { x: 1, y: 4, width: 24, height: 10, rx: 2, fill: "#41b6e6", stroke: "#005eb8" }, s));
    item("clock running", (s) => svg("rect", { x: 1, y: 4, width: 24, height: 10, rx: 2, fill: "#005eb8" }, s));
    item("nullified", (s) => svg("rect", { x: 1, y: 4, width: 24, height: 10, rx: 2, fill: "#e8edee", stroke: "#768692" }, s));
    for (const [effect, label] of [["START", "clock start (10–12)"], ["CONTINUE", "continue (20, 21)"],
      ["STOP", "clock stop (30–36)"], ["NOT_RTT", "not RTT (90–98)"]]) {
      item(label, (s) => marker("circle", s, 13, 9, "#ffffff", EFFECT_COLOURS[effect]));
    }
    item("appointment", (s) => marker("diamond", s, 13, 9, "#00a499", "#006747"));
    item("did not attend", (s) => marker("diamond", s, 13, 9, "#ffffff", "#da291c"));
    item("procedure", (s) => marker("triangle", s, 13, 9, "#330072", "#330072"));
    item("diagnosis", (s) => marker("square", s, 13, 9, "#7c2855", "#7c2855"));
    for (const w of THRESHOLDS) {
      item(`${w}-week breach`, (s) => svg("line", { x1: 13, x2: 13, y1: 0, y2: 18, stroke: BREACH_COLOURS[w], "stroke-width": 3 }, s));
    }
    item("next breach ahead", (s) => svg("line", { x1: 13, x2: 13, y1: 0, y2: 18, stroke: "#ed8b00", "stroke-width": 2, "stroke-dasharray": "4 3" }, s));
    item("as-of date", (s) => svg("line", { x1: 13, x2: 13, y1: 0, y2: 18, stroke: "#231f20", "stroke-width": 1.5, "stroke-dasharray": "2 3" }, s));
  }

  function drawPerson(card, person, lanes) {
    card.textContent = "";
    const trusts = new Set(lanes.filter((l) => l.pathway).map((l) => l.pathway.providerOds));
    const pid = el("span", { class: "pid", title: person.pseudoId }, card, `Person ${shortId(person.pseudoId)}`);
    pid.dataset.pseudoId = person.pseudoId;
    const fact = (label, value) => {
      const f = el("span", { class: "fact" }, card, `${label} `);
      el("b", {}, f, value);
    };
    fact("born", person.yearOfBirth ?? "not recorded");
    fact("sex", person.sexCode !== null && person.sexCode !== undefined ? `${person.sexCode} (${SEX[person.sexCode] || "code"})` : "not recorded");
    fact("area", person.areaCode || "not recorded");
    fact("pathways", `${lanes.filter((l) => l.pathway).length} at ${trusts.size} trust${trusts.size === 1 ? "" : "s"}`);
    card.hidden = false;
  }

  function drawDetails(section, lanes, asOfMs) {
    section.textContent = "";
    el("h2", {}, section, "Clock periods and breach dates");
    for (const lane of lanes) {
      if (!lane.pathway) continue;
      const p = lane.pathway;
      el("h3", {}, section, `${p.id} — ${p.providerOds}, ${p.treatmentFunctionName || `TFC ${p.treatmentFunctionCode || "?"}`}`
        + `${lane.linked ? " (via linkage)" : ""}`);
      if (!lane.periods.length) {
        el("p", {}, section, "No clock period derived for this pathway.");
        continue;
      }
      const table = el("table", {}, section);
      const head = el("tr", {}, el("thead", {}, table));
      for (const h of ["Start", "Stop", "Stop code", "Weeks", ...THRESHOLDS.map((w) => `${w}w breach`), "Data quality"]) el("th", {}, head, h);
      const body = el("tbody", {}, table);
      for (const c of lane.periods) {
        const row = el("tr", { "data-period-id": c.periodId }, body);
        el("td", {}, row, fmt(c.start));
        el("td", {}, row, c.end === null ? "running" : fmt(c.end));
        el("td", {}, row, c.stopStatusCode || "—");
        el("td", {}, row, c.weeksWaited ?? "—");
        const end = c.end ?? asOfMs;
        for (const w of THRESHOLDS) {
          const at = day(c[`breachDate${w}w`]);
          el("td", { class: at !== null && at <= end && !c.nullified ? "passed" : "" }, row, fmt(at));
        }
        el("td", { class: "flags" }, row, [c.nullified ? "nullified" : null, ...(c.dataQualityFlags || [])].filter(Boolean).join(", ") || "—");
      }
    }
    section.hidden = false;
  }

  // ------------------------------------------------------------------ controller

  let lastRender = null;

  function readQuery() {
    const params = new URLSearchParams(location.search);
    const person = (params.get("person") || "").trim();
    const asOfText = (params.get("asOf") || "").trim();
    const asOfMs = day(asOfText);
    return { person, asOfMs: asOfMs ?? localToday(), asOfGiven: asOfMs !== null, asOfText };
  }

  function render() {
    if (!lastRender) return;
    const { person, timeline, lanesById, asOfMs } = lastRender;
    const lanes = buildModel(person, timeline, lanesById, asOfMs, $("all-breaches").checked);
    drawPerson($("person-card"), person, lanes);
    $("chart-card").hidden = false;
    draw($("chart"), lanes, asOfMs, person.pseudoId);
    drawLegend($("legend"));
    drawDetails($("details"), lanes, asOfMs);
    return lanes;
  }

  async function run() {
    const q = readQuery();
    $("person").value = q.person;
    $("asof").value = isoDay(q.asOfMs);
    showTokenState();
    lastRender = null;
    if (q.asOfText && !q.asOfGiven) {
      fail(new PageError("input", "The as-of date is not valid.", `Use YYYY-MM-DD; got "${q.asOfText}".`));
      return;
    }
    if (!q.person) {
      showMessage("info", "Choose a person.", "Enter a pseudo id (or open /timeline?person=<pseudoId>) and a bearer token.");
      setState("idle");
      return;
    }
    if (!currentToken()) {
      showMessage("warning", "A token is needed.",
        "Paste your bearer token above (it is kept in this browser tab only), or open the page with #token=… in the address.");
      setState("idle", "no-token");
      return;
    }
    setState("loading");
    showMessage("info", "Loading…", `Fetching pathways of person ${shortId(q.person)}.`);
    try {
      const { person, timeline, warnings } = await loadPerson(q.person);
      if (!person) {
        throw new PageError("not-found", "Person not found.",
          `No person with pseudo id ${q.person} is visible to your token: the id is unknown, or the records are outside your access.`);
      }
      const ids = person.pathways.map((p) => p.id);
      const { lanes: lanesById, warnings: more } = await loadPathways(ids, isoDay(q.asOfMs));
      lastRender = { person, timeline, lanesById, asOfMs: q.asOfMs };
      const lanes = render();
      const all = [...warnings, ...more];
      if (all.length) {
        showMessage("warning", "Some data could not be shown.", all.join(" "));
      } else if (!lanes.length) {
        showMessage("info", "Nothing to draw.", "This person has no pathway or dated activity you may see.");
      } else {
        hideMessage();
      }
      setState("ready");
    } catch (err) {
      fail(err);
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    const token = $("token").value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    const params = new URLSearchParams();
    const person = $("person").value.trim();
    if (person) params.set("person", person);
    if ($("asof").value) params.set("asOf", $("asof").value);
    history.pushState(null, "", `${location.pathname}?${params.toString()}`);
    run();
  }

  function onForget() {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
    showMessage("info", "Token forgotten.", "Paste a token to load a timeline again.");
  }

  let resizeTimer = null;
  function onResize() {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (lastRender) render(); }, 150);
  }

  function start() {
    tokenFromFragment();
    $("query").addEventListener("submit", onSubmit);
    $("forget").addEventListener("click", onForget);
    $("all-breaches").addEventListener("change", () => { if (lastRender) render(); });
    window.addEventListener("popstate", run);
    window.addEventListener("resize", onResize);
    run();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
