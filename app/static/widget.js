/*!
 * careerqa widget: an embeddable chat panel for cited, citation-checked answers.
 *
 *   <script src="https://careerqa.example.com/widget.js" defer
 *           data-title="Ask about staff engineering" data-theme="auto"></script>
 *
 * One file, no dependencies, no build step. Everything renders inside a Shadow DOM so
 * the host page's CSS cannot reach in and ours cannot leak out. Everything that comes
 * from the server (answers, titles, quotes, URLs) is put on the page as text nodes:
 * this file never assigns innerHTML.
 */
(function () {
  'use strict';

  const VERSION = '1.0.0';

  // document.currentScript only exists while this file is first executing, so read it now.
  const SCRIPT = document.currentScript;

  if (window.CareerQA && window.CareerQA.version) return; // included twice: the first one wins

  /* ------------------------------------------------------------------ configuration */

  const DEFAULTS = {
    api: '',
    apiKey: null,
    title: 'Ask a question',
    greeting:
      'Hi! Ask me about engineering careers. Every answer links to the exact passages it comes from.',
    suggestions: [],
    placement: 'bottom-right',
    theme: 'auto',
    accent: '#4f46e5',
    target: null,
    mode: null,
    // Seconds to wait for the service to start answering, and for the next piece of a
    // streaming answer. The first answer after a start warms up the model (~10-20 s on a
    // busy two-core machine), hence the generous first wait.
    firstByteTimeout: 45,
    stallTimeout: 20,
  };
  const PLACEMENTS = ['bottom-right', 'bottom-left'];
  const THEMES = ['light', 'dark', 'auto'];
  const MODES = ['extractive', 'llm', 'auto'];

  // Limits mirrored from the API contract (app/models.py, CAREERQA_MAX_QUESTION_CHARS's
  // default) so requests are never rejected.
  const MAX_QUESTION = 1000;
  const MAX_HISTORY_TURNS = 40;
  const MAX_TURN_CHARS = 8000;
  const MAX_FEEDBACK_ANSWER = 20000;

  /** Options from the <script> tag's data-* attributes. */
  function readScriptOptions(script) {
    if (!script) return {};
    const d = script.dataset;
    return {
      api: d.api || originOf(script.src),
      apiKey: d.key || d.apiKey,
      title: d.title,
      greeting: d.greeting,
      suggestions: d.suggestions,
      placement: d.placement,
      theme: d.theme,
      accent: d.accent,
      target: d.target,
      mode: d.mode,
      firstByteTimeout: d.firstByteTimeout,
      stallTimeout: d.stallTimeout,
    };
  }

  function originOf(url) {
    try {
      return url ? new URL(url, location.href).origin : '';
    } catch (_) {
      return '';
    }
  }

  /** Merge options over the defaults, dropping values that are empty or not allowed. */
  function normalizeConfig(options) {
    const c = Object.assign({}, DEFAULTS);
    for (const [key, value] of Object.entries(options || {})) {
      if (value !== undefined && value !== null && value !== '') c[key] = value;
    }
    c.api = String(c.api || location.origin).replace(/\/+$/, '');
    if (typeof c.suggestions === 'string') c.suggestions = c.suggestions.split('|');
    c.suggestions = (c.suggestions || []).map((s) => String(s).trim()).filter(Boolean).slice(0, 6);
    if (!PLACEMENTS.includes(c.placement)) c.placement = DEFAULTS.placement;
    if (!THEMES.includes(c.theme)) c.theme = DEFAULTS.theme;
    if (!MODES.includes(c.mode)) c.mode = null;
    for (const key of ['firstByteTimeout', 'stallTimeout']) {
      const seconds = Number(c[key]);
      c[key] = Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULTS[key];
    }
    return c;
  }

  /* ------------------------------------------------------------------ DOM helpers */

  /** createElement with attributes; string children become text nodes, never markup. */
  function h(tag, attrs, children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of [].concat(children === undefined ? [] : children)) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const ICONS = {
    chat: 'M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z',
    close: 'M18 6 6 18M6 6l12 12',
    send: 'M12 19V5M5.5 11.5 12 5l6.5 6.5',
    stop: 'M7 7h10v10H7z',
    compose: 'M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z',
    up: 'M7 10v11M15 5.9 14 10h5.8a2 2 0 0 1 2 2.3l-1.4 7A2 2 0 0 1 18.4 21H4a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h2.8a2 2 0 0 0 1.8-1.1L12 2a3 3 0 0 1 3 3.9z',
    down: 'M17 14V3M9 18.1 10 14H4.2a2 2 0 0 1-2-2.3l1.4-7A2 2 0 0 1 5.6 3H20a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1h-2.8a2 2 0 0 0-1.8 1.1L12 22a3 3 0 0 1-3-3.9z',
    copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
    check: 'M20 6 9 17l-5-5',
    checkCircle: 'M21 11.1V12a9 9 0 1 1-5.3-8.2M21 4.5 12 13.5l-2.7-2.7',
    flag: 'M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1zM4 22v-7',
    warn: 'M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0zM12 9v4M12 17h.01',
    offline: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7.5v5M12 16.5h.01',
    clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2',
    book: 'M2 4h6a4 4 0 0 1 4 4v13a3 3 0 0 0-3-3H2zM22 4h-6a4 4 0 0 0-4 4v13a3 3 0 0 1 3-3h7z',
    spark: 'M12 3l1.8 5.4a2 2 0 0 0 1.3 1.3L20.5 11.5l-5.4 1.8a2 2 0 0 0-1.3 1.3L12 20l-1.8-5.4a2 2 0 0 0-1.3-1.3L3.5 11.5l5.4-1.8a2 2 0 0 0 1.3-1.3z',
    external: 'M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5',
  };
  const FILLED_ICONS = ['stop', 'spark'];

  function icon(name, size) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    const filled = FILLED_ICONS.includes(name);
    const attrs = {
      viewBox: '0 0 24 24',
      width: size || 18,
      height: size || 18,
      fill: filled ? 'currentColor' : 'none',
      stroke: filled ? 'none' : 'currentColor',
      'stroke-width': 2,
      'stroke-linecap': 'round',
      'stroke-linejoin': 'round',
      'aria-hidden': 'true',
      focusable: 'false',
    };
    for (const [key, value] of Object.entries(attrs)) svg.setAttribute(key, String(value));
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.append(path);
    return svg;
  }

  function iconButton(name, label, attrs) {
    return h('button', Object.assign({ type: 'button', class: 'icon-btn', 'aria-label': label }, attrs), icon(name));
  }

  /** The URL if it is http(s), else null: a server-sent `javascript:` URL never becomes a link. */
  function safeHttpUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function siteOf(url) {
    try {
      return new URL(String(url)).hostname.replace(/^www\./, '');
    } catch (_) {
      return '';
    }
  }

  /* ------------------------------------------------------------------ colours */

  // The accent is the site owner's choice; text drawn in it (links, markers) is nudged
  // darker or lighter until it meets WCAG AA (4.5:1) on each theme's background.

  const THEME_BG = { light: [255, 255, 255], dark: [21, 23, 28] };

  function parseColor(value, probeParent) {
    const hex = String(value).trim().match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
    if (hex) {
      const s = hex[1].length === 3 ? hex[1].replace(/./g, '$&$&') : hex[1];
      return [0, 2, 4].map((i) => parseInt(s.slice(i, i + 2), 16));
    }
    // Any other CSS colour: let the browser resolve it.
    const probe = h('span', { style: 'display:none' });
    probe.style.color = value;
    probeParent.append(probe);
    const m = getComputedStyle(probe).color.match(/\d+(\.\d+)?/g);
    probe.remove();
    return m && probe.style.color ? m.slice(0, 3).map(Number) : null;
  }

  function luminance(rgb) {
    const [r, g, b] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  function mix(a, b, t) {
    return a.map((v, i) => Math.round(v * t + b[i] * (1 - t)));
  }

  function toCss(rgb) {
    return `rgb(${rgb.join(', ')})`;
  }

  /** CSS custom properties derived from the accent for both themes. */
  function accentVariables(accent) {
    const white = [255, 255, 255];
    const ink = [20, 24, 33];
    const onAccent = contrast(accent, white) >= 4.5 || contrast(accent, white) > contrast(accent, ink) ? white : ink;
    const vars = { '--accent': toCss(accent), '--on-accent': toCss(onAccent) };
    for (const [theme, bg] of Object.entries(THEME_BG)) {
      const soft = mix(accent, bg, theme === 'light' ? 0.1 : 0.2);
      const towards = theme === 'light' ? [0, 0, 0] : white;
      let text = accent;
      for (let i = 0; i < 20 && contrast(text, soft) < 4.6; i++) text = mix(towards, text, 0.1);
      vars[`--accent-soft-${theme}`] = toCss(soft);
      vars[`--accent-text-${theme}`] = toCss(text);
    }
    return vars;
  }

  /* ------------------------------------------------------------------ answer rendering */

  // Answers are Markdown with [n] markers; only headings, bullets, bold and markers are
  // supported, and each is built from DOM nodes. Every inline run remembers its offset in
  // the raw answer so that sentences the citation check rejects can be marked in place.

  const INLINE_RE = /\*\*|\[(\d+(?:\s*,\s*\d+)*)\]/g;

  /** Split an answer into blocks of lines: {type: 'h' | 'p' | 'ul', lines: [{text, start}]}. */
  function parseBlocks(answer) {
    const blocks = [];
    let current = null;
    let offset = 0;
    for (const line of answer.split('\n')) {
      const start = offset;
      offset += line.length + 1;
      const heading = line.match(/^(\s*#{1,6}\s+)(.*)$/);
      const bullet = line.match(/^(\s*[-*•]\s+)(.*)$/);
      if (!line.trim()) {
        current = null;
      } else if (heading) {
        blocks.push({ type: 'h', lines: [{ text: heading[2], start: start + heading[1].length }] });
        current = null;
      } else if (bullet) {
        if (!current || current.type !== 'ul') blocks.push((current = { type: 'ul', lines: [] }));
        current.lines.push({ text: bullet[2], start: start + bullet[1].length });
      } else {
        const lead = line.length - line.trimStart().length;
        if (!current || current.type !== 'p') blocks.push((current = { type: 'p', lines: [] }));
        current.lines.push({ text: line.slice(lead), start: start + lead });
      }
    }
    return blocks;
  }

  /** Inline runs of one line: {kind: 'text', text, bold} or {kind: 'cite', id}, with offsets. */
  function parseInline(text, base) {
    const runs = [];
    let bold = false;
    let last = 0;
    const pushText = (end) => {
      if (end > last) runs.push({ kind: 'text', text: text.slice(last, end), bold, start: base + last, end: base + end });
    };
    INLINE_RE.lastIndex = 0;
    let m;
    while ((m = INLINE_RE.exec(text))) {
      pushText(m.index);
      if (m[0] === '**') {
        bold = !bold;
      } else {
        for (const id of m[1].split(',')) {
          runs.push({ kind: 'cite', id: Number(id), start: base + m.index, end: base + m.index + m[0].length });
        }
      }
      last = m.index + m[0].length;
    }
    pushText(text.length);
    return runs;
  }

  /** Offsets of each checked sentence in the answer; sentences that cannot be found are skipped. */
  function locateSentences(answer, sentences) {
    const found = [];
    let cursor = 0;
    (sentences || []).forEach((sentence, index) => {
      const text = String(sentence.text || '').trim();
      if (!text) return;
      const at = answer.indexOf(text, cursor);
      if (at < 0) return;
      cursor = at + text.length;
      found.push({ index, start: at, end: cursor, sentence });
    });
    return found;
  }

  /** Cut text runs at sentence boundaries so each piece lies in at most one sentence. */
  function splitRuns(runs, ranges) {
    const cuts = [];
    for (const r of ranges) cuts.push(r.start, r.end);
    const pieces = [];
    for (const run of runs) {
      if (run.kind !== 'text') {
        pieces.push(run);
        continue;
      }
      let from = run.start;
      for (const cut of cuts.filter((c) => c > run.start && c < run.end).sort((a, b) => a - b)) {
        pieces.push(Object.assign({}, run, { text: run.text.slice(from - run.start, cut - run.start), start: from, end: cut }));
        from = cut;
      }
      pieces.push(Object.assign({}, run, { text: run.text.slice(from - run.start), start: from }));
    }
    return pieces;
  }

  /**
   * Render an answer into `parent`. `ctx.cite(id)` builds a marker node; `ctx.unsupported`
   * lists sentence ranges to mark; `ctx.flag(range)` builds the indicator placed after one.
   */
  function renderAnswer(parent, answer, ctx) {
    const ranges = ctx.unsupported || [];
    const lastNodeOf = new Map();
    const renderLine = (into, line) => {
      for (const piece of splitRuns(parseInline(line.text, line.start), ranges)) {
        let node;
        if (piece.kind === 'cite') node = ctx.cite(piece.id);
        else node = piece.bold ? h('strong', null, piece.text) : document.createTextNode(piece.text);
        const range = ranges.find((r) => piece.start >= r.start && piece.end <= r.end);
        if (range) {
          // Consecutive pieces of one sentence share a single underlined span.
          const prev = into.lastChild;
          const span = prev && prev.dataset && prev.dataset.sentence === String(range.index)
            ? prev
            : into.appendChild(h('span', { class: 'unsupported', 'data-sentence': range.index }));
          span.append(node);
          lastNodeOf.set(range, span);
        } else {
          into.append(node);
        }
      }
    };
    for (const block of parseBlocks(answer)) {
      if (block.type === 'ul') {
        const list = h('ul');
        for (const line of block.lines) {
          const item = h('li');
          renderLine(item, line);
          list.append(item);
        }
        parent.append(list);
      } else {
        const el = h(block.type === 'h' ? 'h3' : 'p'); // under the panel's h2
        block.lines.forEach((line, i) => {
          if (i) el.append(' ');
          renderLine(el, line);
        });
        parent.append(el);
      }
    }
    for (const [range, span] of lastNodeOf) span.append(keepWithLastWord(span, ctx.flag(range)));
  }

  /** Wrap the span's last word (and a marker just before it) with `node`, so the warning sign never wraps alone. */
  function keepWithLastWord(span, node) {
    const tail = h('span', { class: 'nowrap' });
    const last = span.lastChild;
    if (last && last.nodeType === Node.TEXT_NODE) {
      const cut = last.data.search(/\S*\s*$/);
      tail.append(cut > 0 ? last.splitText(cut) : last);
      if (cut <= 0 && span.lastChild && span.lastChild.nodeType !== Node.TEXT_NODE) {
        tail.prepend(span.lastChild);
      }
    } else if (last) {
      tail.append(last);
    }
    tail.append(node);
    return tail;
  }

  /* ------------------------------------------------------------------ API client */

  class WidgetError extends Error {
    constructor(kind, message, extra) {
      super(message);
      this.kind = kind; // unreachable | rate_limited | http | stream | timeout | aborted
      Object.assign(this, extra);
    }
  }

  /** Seconds from a Retry-After header (delta-seconds or HTTP date), else null. */
  function parseRetryAfter(value) {
    if (!value) return null;
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
    const when = Date.parse(value);
    return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
  }

  async function errorFromResponse(res) {
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      /* not JSON: the status alone will have to do */
    }
    if (res.status === 429) {
      // Cross-origin scripts only see Retry-After if the server exposes it; the JSON body is the fallback.
      const header = parseRetryAfter(res.headers.get('Retry-After'));
      const fromBody = body && Number.isFinite(Number(body.retry_after)) ? Math.ceil(Number(body.retry_after)) : null;
      return new WidgetError('rate_limited', (body && body.message) || 'Too many questions at once.', {
        retryAfter: header !== null ? header : fromBody,
      });
    }
    const message = (body && body.message) || `The service answered with an error (HTTP ${res.status}).`;
    return new WidgetError('http', message, { status: res.status, code: body && body.error });
  }

  /**
   * Parse a text/event-stream body, calling onEvent(name, data) per event.
   * EventSource cannot POST, so the stream is read by hand from fetch's ReadableStream.
   */
  async function readEventStream(body, onEvent, onChunk) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let heldCR = ''; // a chunk may end between the \r and \n of a CRLF
    const dispatch = (block) => {
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
      }
      if (!data.length) return;
      let payload = data.join('\n');
      try {
        payload = JSON.parse(payload);
      } catch (_) {
        /* leave it as text */
      }
      onEvent(name, payload);
    };
    const take = (text) => {
      text = heldCR + text;
      heldCR = text.endsWith('\r') ? '\r' : '';
      if (heldCR) text = text.slice(0, -1);
      buffer += text.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    };
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (err && err.name === 'AbortError') throw new WidgetError('aborted', 'Stopped.');
        throw new WidgetError('unreachable', 'The connection dropped while the answer was streaming.');
      }
      if (chunk.done) break;
      if (onChunk) onChunk();
      take(decoder.decode(chunk.value, { stream: true }));
    }
    take(decoder.decode() + heldCR);
    if (buffer.trim()) dispatch(buffer);
  }

  /**
   * Aborts a request that goes quiet: no response within the first-byte timeout, or no new
   * bytes within the stall timeout. The visitor's own Stop still reads as `aborted`.
   */
  function createWatchdog(outer, config) {
    const inner = new AbortController();
    let timer = null;
    let fired = null;
    if (outer) outer.addEventListener('abort', () => inner.abort(), { once: true });
    return {
      signal: inner.signal,
      arm(seconds, kind) {
        clearTimeout(timer);
        timer = setTimeout(() => {
          fired = kind;
          inner.abort();
        }, seconds * 1000);
      },
      disarm() {
        clearTimeout(timer);
      },
      explain(err) {
        if (!fired || (outer && outer.aborted)) return err;
        const message = fired === 'first_byte'
          ? `The answer service did not respond within ${config.firstByteTimeout} s.`
          : `The answer stopped arriving for ${config.stallTimeout} s.`;
        return new WidgetError('timeout', message, { phase: fired });
      },
    };
  }

  function createApi(config) {
    const headers = (extra) => {
      const all = Object.assign({ 'Content-Type': 'application/json' }, extra);
      if (config.apiKey) all.Authorization = `Bearer ${config.apiKey}`;
      return all;
    };
    const post = async (path, body, init) => {
      try {
        return await fetch(config.api + path, Object.assign({ method: 'POST', body: JSON.stringify(body) }, init));
      } catch (err) {
        if (err && err.name === 'AbortError') throw new WidgetError('aborted', 'Stopped.');
        throw new WidgetError('unreachable', 'Can’t reach the answer service right now.');
      }
    };
    return {
      /** Stream an answer; `on` has one handler per SSE event (citations, delta, check, done). */
      async ask(payload, signal, on) {
        const watchdog = createWatchdog(signal, config);
        try {
          watchdog.arm(config.firstByteTimeout, 'first_byte');
          const res = await post('/v1/ask/stream', payload, {
            headers: headers({ Accept: 'text/event-stream' }),
            signal: watchdog.signal,
          });
          watchdog.arm(config.stallTimeout, 'stall');
          if (!res.ok) throw await errorFromResponse(res);
          if ((res.headers.get('Content-Type') || '').includes('application/json')) {
            on.done(await res.json()); // a server that answers without streaming
            return;
          }
          let failure = null;
          await readEventStream(res.body, (name, data) => {
            if (name === 'error') {
              failure = new WidgetError('stream', (data && data.message) || 'The answer failed.', { code: data && data.error });
            } else if (on[name] && data && typeof data === 'object') {
              on[name](data);
            }
          }, () => watchdog.arm(config.stallTimeout, 'stall'));
          if (failure) throw failure;
        } catch (err) {
          throw watchdog.explain(err);
        } finally {
          watchdog.disarm();
        }
      },
      /** How many articles are indexed (for the loading line); null when it can't be told. */
      async articleCount() {
        try {
          const res = await fetch(config.api + '/v1/sources', { headers: config.apiKey ? { Authorization: `Bearer ${config.apiKey}` } : {} });
          if (!res.ok) return null;
          const pages = await res.json();
          return Array.isArray(pages) ? pages.filter((p) => p && p.status === 'stored').length : null;
        } catch (_) {
          return null; // the line then says "Searching the sources…"
        }
      },
      async feedback(payload) {
        const res = await post('/v1/feedback', payload, { headers: headers() });
        if (!res.ok) throw await errorFromResponse(res);
        return res.json();
      },
    };
  }

  /* ------------------------------------------------------------------ persistence */

  // sessionStorage: the conversation follows the reader across pages of the site in this
  // tab, and is gone when the tab closes. Storage can be unavailable (privacy modes, sandboxed
  // iframes); the widget then simply forgets on reload.
  function createStore(key) {
    return {
      load() {
        try {
          return JSON.parse(sessionStorage.getItem(key)) || null;
        } catch (_) {
          return null;
        }
      },
      save(state) {
        try {
          sessionStorage.setItem(key, JSON.stringify(state));
        } catch (_) {
          /* quota or disabled: keep working in memory */
        }
      },
      clear() {
        try {
          sessionStorage.removeItem(key);
        } catch (_) {
          /* nothing to clear */
        }
      },
    };
  }

  /* ------------------------------------------------------------------ one answer */

  /** The view of one assistant answer: streamed in, then final, then feedback. */
  class AnswerView {
    constructor(widget, question) {
      this.w = widget;
      this.question = question;
      this.data = { answer: '', citations: [], sentences: null, citation_check: null, covered: true, uncovered: [] };
      this.record = null; // the persisted turn, once finished
      this.pending = false;
      this.body = h('div', { class: 'answer' }, typingDots(widget.articles));
      this.notices = h('div', { class: 'notices' });
      this.meta = h('div', { class: 'meta-row' });
      this.sources = h('div', { class: 'sources-wrap' });
      this.footer = h('div', { class: 'answer-foot' });
      this.el = h('div', { class: 'msg msg-bot', 'aria-busy': 'true' }, [
        h('div', { class: 'avatar', 'aria-hidden': 'true' }, icon('spark', 14)),
        h('div', { class: 'bot-content' }, [h('span', { class: 'sr-only', text: 'Answer:' }), this.notices, this.body, this.meta, this.sources, this.footer]),
      ]);
    }

    citation(id) {
      return this.data.citations.find((c) => c.id === id);
    }

    /* --- streaming events */

    /**
     * In LLM mode the first citations are `provisional` (candidates without quotes, final
     * ones come with `done`); `restart` means the LLM failed mid-answer and the text so far
     * is replaced by the extractive answer that follows.
     */
    onCitations(data) {
      if (data.restart) {
        this.data.answer = '';
        this.body.replaceChildren(typingDots(this.w.articles));
      }
      this.data.citations = Array.isArray(data.citations) ? data.citations : [];
      this.data.covered = data.covered !== false;
      this.data.uncovered = data.uncovered || [];
      this.renderSources();
      this.renderNotices();
    }

    onDelta(data) {
      this.data.answer += String(data.text || '');
      this.scheduleBody();
    }

    onCheck(data) {
      this.data.sentences = data.sentences || null;
      this.data.citation_check = data.citation_check || null;
      this.scheduleBody();
    }

    /** The final state comes from `done` (citations may have been renumbered). */
    finish(response, turn) {
      this.data = Object.assign({}, this.data, response);
      this.record = turn;
      this.el.removeAttribute('aria-busy');
      this.renderAll();
      this.renderFooter();
    }

    /** The answer ended early: no typing state left, and it says it is incomplete. */
    stopped(why) {
      this.el.removeAttribute('aria-busy');
      this.el.classList.add('incomplete');
      if (!this.data.answer) this.body.replaceChildren(); // the dots must not go on forever
      this.renderAll();
      this.footer.replaceChildren(h('p', { class: 'stopped', text: incompleteText(why) }));
    }

    /* --- rendering */

    scheduleBody() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.renderBody();
        this.w.follow();
      });
    }

    renderAll() {
      this.renderNotices();
      this.renderBody();
      this.renderSources();
    }

    unsupportedRanges() {
      return locateSentences(this.data.answer, this.data.sentences).filter((r) => r.sentence.supported === false);
    }

    renderBody() {
      if (!this.data.answer) return; // keep the typing dots until text arrives
      if (!this.data.covered) return this.body.replaceChildren(); // the notice says it all
      const body = document.createDocumentFragment();
      renderAnswer(body, this.data.answer, {
        unsupported: this.unsupportedRanges(),
        cite: (id) => this.marker(id),
        flag: (range) => this.unsupportedFlag(range.sentence),
      });
      this.body.replaceChildren(body);
      this.w.tips.prune();
      this.renderMeta();
    }

    marker(id) {
      const c = this.citation(id);
      if (!c) return h('span', { class: 'cite cite-missing', text: `[${id}]` });
      const href = safeHttpUrl(c.fragment_url) || safeHttpUrl(c.url);
      const label = `Source ${id}: ${c.title || siteOf(c.url)}`;
      const attrs = { class: 'cite', 'data-cite': id, 'aria-label': label, text: String(id) };
      const el = href
        ? h('a', Object.assign(attrs, { href, target: '_blank', rel: 'noopener noreferrer' }))
        : h('button', Object.assign(attrs, { type: 'button' }));
      this.w.tips.attach(el, () => this.quoteTip(c), () => this.highlightSource(id, true), () => this.highlightSource(id, false));
      return el;
    }

    quoteTip(c) {
      const src = [c.title, siteOf(c.url)].filter(Boolean).join(' · ');
      const quote = c.quote ? h('p', { class: 'tip-quote', text: c.quote }) : null; // provisional: no quote yet
      return [quote, h('p', { class: 'tip-src', text: src })].filter(Boolean);
    }

    unsupportedFlag(sentence) {
      const verdict = sentence.verdict === 'partial' ? 'Only partly supported' : 'Not supported';
      const reason = sentence.reason || 'The cited source does not say this.';
      const el = h('button', { type: 'button', class: 'unsup-flag', 'aria-label': `${verdict} by its sources: ${reason}` }, icon('warn', 13));
      this.w.tips.attach(el, () => [h('p', { class: 'tip-title', text: `${verdict} by its sources` }), h('p', { class: 'tip-body', text: reason })]);
      return el;
    }

    highlightSource(id, on) {
      const card = this.sources.querySelector(`[data-source="${Number(id)}"]`);
      if (card) card.classList.toggle('is-active', on);
    }

    renderNotices() {
      const parts = [];
      if (!this.data.covered) {
        const missing = (this.data.uncovered || []).filter(Boolean);
        const about = missing.length ? `Nothing in the articles I answer from is about “${missing.join('”, “')}”.` : 'The articles I answer from don’t discuss this.';
        parts.push(
          h('div', { class: 'alert info', role: 'note' }, [
            icon('book', 18),
            h('div', { class: 'alert-main' }, [
              h('p', { class: 'alert-title', text: 'My sources don’t cover this' }),
              h('p', { text: `${about} Try rephrasing, or ask about something they do cover.` }),
            ]),
          ])
        );
      }
      // The service also appends "My sources don't cover X." to partial answers: say it once.
      const notice = String(this.data.notice || '').trim();
      if (notice && this.data.covered && !this.data.answer.includes(notice)) parts.push(h('p', { class: 'notice', text: notice }));
      const asked = String(this.data.question || '').trim();
      if (asked && asked.toLowerCase() !== String(this.question).trim().toLowerCase()) {
        parts.push(h('p', { class: 'searched', text: `Searched for “${asked}”` }));
      }
      this.notices.replaceChildren(...parts);
    }

    /** The quiet citation-check badge: green when every sentence holds up, amber otherwise. */
    renderMeta() {
      const sentences = this.data.sentences;
      const check = this.data.citation_check;
      if (!sentences || !this.data.covered) return this.meta.replaceChildren();
      const bad = sentences.filter((s) => s.supported === false).length;
      const problems = (check && check.problems) || [];
      const relevance = this.data.relevance;
      let badge;
      if (!bad && relevance && relevance.answers_question === false) {
        // Cited is not the same as answered: the quotes hold up but miss what was asked.
        badge = this.badge('warn', 'warn', 'Cited, but may not answer the question', [
          h('p', { text: relevance.reason || 'The quoted sentences do not contain what the question asks for.' }),
        ]);
      } else if (!bad && (!check || check.passed !== false)) {
        badge = this.badge('ok', 'checkCircle', 'Citations checked', [
          h('p', { text: `Every sentence is supported by the passage it cites (${sentences.length} checked).` }),
        ]);
      } else {
        const label = bad ? `${bad} of ${sentences.length} ${sentences.length === 1 ? 'sentence' : 'sentences'} unsupported` : 'Citation check found problems';
        const detail = bad
          ? [h('p', { text: 'Marked sentences aren’t backed by the passage they cite. Hover the warning sign to see why.' })]
          : problems.slice(0, 4).map((p) => h('p', { text: p.message || p.reason || 'Unsupported sentence.' }));
        badge = this.badge('warn', 'warn', label, detail);
      }
      this.meta.replaceChildren(badge);
    }

    badge(kind, iconName, label, detail) {
      const el = h('button', { type: 'button', class: `check ${kind}` }, [icon(iconName, 13), label]);
      this.w.tips.attach(el, () => detail);
      return el;
    }

    renderSources() {
      const list = this.data.citations || [];
      if (!list.length) return this.sources.replaceChildren();
      const flagged = new Set((this.record && this.record.flags) || []);
      // One card per article: the service numbers sources by article, each with its quotes.
      const seen = new Set();
      const items = list.filter((c) => !seen.has(c.id) && seen.add(c.id)).map((c) => this.sourceCard(c, flagged.has(c.id)));
      this.sources.replaceChildren(h('p', { class: 'sources-title', text: 'Sources' }), h('ol', { class: 'sources' }, items));
    }

    sourceCard(c, flagged) {
      const href = safeHttpUrl(c.fragment_url) || safeHttpUrl(c.url);
      const title = c.title || siteOf(c.url) || 'Untitled source';
      const titleEl = href
        ? h('a', { class: 'source-title', href, target: '_blank', rel: 'noopener noreferrer', text: title })
        : h('span', { class: 'source-title', text: title });
      const meta = [siteOf(c.url), c.author, formatDate(c.published)].filter(Boolean).join(' · ');
      // Flagging needs the finished answer, so the button appears once streaming is over.
      let flag = null;
      if (this.record) {
        flag = iconButton('flag', `Flag source ${c.id}: this source doesn’t say that`, {
          class: 'icon-btn source-flag',
          'aria-pressed': flagged ? 'true' : 'false',
          disabled: flagged,
          onclick: (e) => this.flag(c, e.currentTarget),
        });
        this.w.tips.attach(flag, () => [h('p', { text: flag.getAttribute('aria-pressed') === 'true' ? 'Flagged for review. Thanks!' : 'This source doesn’t say that' })]);
      }
      const quotes = (Array.isArray(c.quotes) && c.quotes.length ? c.quotes : c.quote ? [c] : []).filter((q) => q.quote);
      const quoteList = quotes.length
        ? h('ul', { class: 'source-quotes' }, quotes.map((q) => h('li', { class: 'source-quote', text: q.quote })))
        : null;
      return h('li', { class: 'source', 'data-source': c.id }, [
        h('span', { class: 'source-num', 'aria-hidden': 'true', text: String(c.id) }),
        h('div', { class: 'source-main' }, [titleEl, meta ? h('p', { class: 'source-meta', text: meta }) : null, quoteList]),
        flag,
      ]);
    }

    /* --- feedback, copy */

    renderFooter() {
      if (!this.record || !this.data.answer) return;
      const rated = this.record.feedback;
      const thumb = (rating, name, label) => {
        // aria-disabled rather than disabled: a rated thumb keeps focus (a disabled button
        // would drop it to the page body) and still says it can't be pressed again.
        const button = iconButton(name, label, {
          class: 'icon-btn',
          'aria-pressed': rated === rating ? 'true' : 'false',
          'aria-disabled': rated ? 'true' : 'false',
          onclick: () => rated || this.openFeedback(rating),
        });
        this.w.tips.attach(button, () => [h('p', { text: label })]);
        return button;
      };
      const copy = iconButton('copy', 'Copy answer with sources as Markdown', { onclick: (e) => this.copy(e.currentTarget) });
      this.w.tips.attach(copy, () => [h('p', { text: 'Copy as Markdown' })]);
      this.actions = h('div', { class: 'actions' }, [
        thumb('up', 'up', 'Helpful'),
        thumb('down', 'down', 'Not helpful'),
        copy,
        h('span', { class: 'action-status', role: 'status', text: rated ? 'Thanks for the feedback.' : '' }),
      ]);
      this.footer.replaceChildren(this.actions);
    }

    openFeedback(rating) {
      const box = h('textarea', {
        class: 'fb-comment',
        rows: 2,
        maxlength: 2000,
        'aria-label': 'Comment (optional)',
        placeholder: rating === 'up' ? 'What was useful? (optional)' : 'What was wrong or missing? (optional)',
      });
      const error = h('p', { class: 'fb-error', role: 'alert' });
      const send = (comment) => this.sendFeedback(rating, comment, form, error);
      const form = h('form', { class: 'fb-form', onsubmit: (e) => (e.preventDefault(), send(box.value.trim())) }, [
        box,
        error,
        h('div', { class: 'fb-buttons' }, [
          h('button', { type: 'button', class: 'btn ghost', text: 'Skip', onclick: () => send('') }),
          h('button', { type: 'submit', class: 'btn primary', text: 'Send feedback' }),
        ]),
      ]);
      box.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          send(box.value.trim());
        }
      });
      for (const b of this.actions.querySelectorAll('.icon-btn[aria-pressed]')) b.setAttribute('aria-pressed', 'false');
      this.actions.children[rating === 'up' ? 0 : 1].setAttribute('aria-pressed', 'true');
      this.footer.querySelectorAll('.fb-form').forEach((f) => f.remove());
      this.footer.append(form);
      box.focus();
    }

    async sendFeedback(rating, comment, form, error) {
      const payload = {
        rating,
        question: this.question.slice(0, MAX_QUESTION),
        answer: this.data.answer.slice(0, MAX_FEEDBACK_ANSWER),
      };
      if (comment) payload.comment = comment.slice(0, 2000);
      try {
        await this.w.api.feedback(payload);
      } catch (err) {
        error.textContent = `Couldn’t send feedback: ${err.message}`;
        return;
      }
      this.record.feedback = rating;
      this.w.persist();
      const focusWasInside = form.contains(this.w.activeElement()) || !this.w.activeElement();
      this.renderFooter();
      // Back to the thumb the visitor chose, not to the page body.
      if (focusWasInside) this.actions.querySelector('[aria-pressed="true"]').focus();
    }

    async flag(citation, button) {
      const sentence = (this.data.sentences || []).find((s) => (s.citations || []).includes(citation.id));
      const payload = {
        rating: 'flag',
        question: this.question.slice(0, MAX_QUESTION),
        answer: this.data.answer.slice(0, MAX_FEEDBACK_ANSWER),
        citation,
      };
      if (sentence) payload.sentence = String(sentence.text).slice(0, 2000);
      if (button.getAttribute('aria-disabled') === 'true') return; // already sent or sending
      // Not `disabled`: the button keeps focus while the flag is sent and after.
      button.setAttribute('aria-disabled', 'true');
      try {
        await this.w.api.feedback(payload);
      } catch (err) {
        button.removeAttribute('aria-disabled');
        this.w.announce(`Couldn’t flag the source: ${err.message}`);
        return;
      }
      this.record.flags = (this.record.flags || []).concat(citation.id);
      this.w.persist();
      button.setAttribute('aria-pressed', 'true');
      button.setAttribute('aria-label', `Source ${citation.id} flagged: thanks, we’ll review it`);
      // Seen, not only heard: a line under the answer thanks the visitor for the flag.
      this.footer.querySelectorAll('.flag-thanks').forEach((p) => p.remove());
      const thanks = h('p', { class: 'flag-thanks', text: `Thanks: source ${citation.id} is flagged for review.` });
      this.footer.append(thanks);
      thanks.scrollIntoView({ block: 'nearest' });
      this.w.announce('Thanks: the source is flagged for review.');
    }

    toMarkdown() {
      const lines = [this.data.answer.trim()];
      const cites = this.data.citations || [];
      if (cites.length) {
        lines.push('', 'Sources:', '');
        for (const c of cites) {
          const title = String(c.title || siteOf(c.url)).replace(/([[\]])/g, '\\$1');
          const url = safeHttpUrl(c.fragment_url) || safeHttpUrl(c.url);
          const site = siteOf(c.url);
          lines.push(`${c.id}. ${url ? `[${title}](${url})` : title}${site ? ` (${site})` : ''}`);
          if (c.quote) lines.push(`   > ${String(c.quote).replace(/\s+/g, ' ')}`);
        }
      }
      return lines.join('\n');
    }

    async copy(button) {
      const ok = await copyText(this.toMarkdown(), this.w.root);
      button.replaceChildren(icon(ok ? 'check' : 'copy'));
      this.w.announce(ok ? 'Copied the answer and its sources as Markdown.' : 'Copying isn’t allowed on this page.');
      setTimeout(() => button.replaceChildren(icon('copy')), 1600);
    }
  }

  /** What an answer that ended early says about itself. */
  function incompleteText(why) {
    return why === 'cut_off'
      ? 'The answer was cut off before it finished; it may be incomplete.'
      : 'Stopped. This answer is incomplete.';
  }

  /** The typing state: three dots and a line saying what is happening. */
  function typingDots(articles) {
    const what = articles ? `Searching ${articles} article${articles === 1 ? '' : 's'}…` : 'Searching the sources…';
    return h('div', { class: 'typing' }, [
      h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'typing-text', text: what }),
    ]);
  }

  function formatDate(value) {
    if (!value) return '';
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value);
    return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  }

  async function copyText(text, fallbackParent) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) {
      // No async clipboard (insecure context, denied permission): the old selection trick.
      const area = h('textarea', { style: 'position:fixed;opacity:0', 'aria-hidden': 'true' });
      area.value = text;
      fallbackParent.append(area);
      area.select();
      let ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (_) {
        ok = false;
      }
      area.remove();
      return ok;
    }
  }

  /* ------------------------------------------------------------------ tooltips */

  /**
   * One shared tooltip per widget, shown on hover and on keyboard focus. It stays open while
   * the pointer is over it and Escape dismisses it (WCAG 1.4.13).
   */
  function createTips(panel) {
    const tip = h('div', { class: 'tip', role: 'tooltip', id: 'cqa-tip', hidden: true });
    const content = new WeakMap();
    let anchor = null;
    let hideTimer = 0;
    panel.append(tip);

    const place = (el) => {
      const box = panel.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      const t = tip.getBoundingClientRect();
      let left = r.left + r.width / 2 - t.width / 2 - box.left;
      left = Math.max(8, Math.min(left, box.width - t.width - 8));
      let top = r.top - box.top - t.height - 8;
      if (top < 8) top = r.bottom - box.top + 8;
      tip.style.left = `${left}px`;
      tip.style.top = `${top}px`;
    };
    const show = (el) => {
      clearTimeout(hideTimer);
      const entry = content.get(el);
      if (!entry) return;
      if (anchor && anchor !== el) hide(true);
      anchor = el;
      tip.replaceChildren(...[].concat(entry.build()));
      tip.hidden = false;
      el.setAttribute('aria-describedby', 'cqa-tip');
      place(el);
      if (entry.enter) entry.enter();
    };
    const hide = (now) => {
      clearTimeout(hideTimer);
      const go = () => {
        if (!anchor) return;
        const entry = content.get(anchor);
        if (entry && entry.leave) entry.leave();
        anchor.removeAttribute('aria-describedby');
        anchor = null;
        tip.hidden = true;
      };
      if (now === true) go();
      else hideTimer = setTimeout(go, 120); // time to move the pointer onto the tooltip
    };
    tip.addEventListener('pointerenter', () => clearTimeout(hideTimer));
    tip.addEventListener('pointerleave', () => hide());
    // A touch elsewhere closes the tooltip: touch has no "pointer left" to do it.
    panel.addEventListener('pointerdown', (e) => {
      if (e.pointerType === 'touch' && anchor && !anchor.contains(e.target) && !tip.contains(e.target)) hide(true);
    });
    return {
      /**
       * Hover and focus show `el`'s tooltip. On touch, the first tap on a link (a citation
       * marker) shows it without following the link; a second tap follows it.
       */
      attach(el, build, enter, leave) {
        content.set(el, { build, enter, leave });
        let tapShows = false;
        el.addEventListener('pointerenter', (e) => e.pointerType !== 'touch' && show(el));
        el.addEventListener('pointerleave', (e) => e.pointerType !== 'touch' && hide());
        el.addEventListener('pointerdown', (e) => {
          // Decided before the tap's focus event shows the tooltip anyway.
          tapShows = e.pointerType === 'touch' && el.matches('a[href]') && !(anchor === el && !tip.hidden);
        });
        el.addEventListener('click', (e) => {
          if (!tapShows) return;
          tapShows = false;
          e.preventDefault();
          e.stopImmediatePropagation();
          show(el);
        });
        el.addEventListener('focus', () => show(el));
        el.addEventListener('blur', () => hide(true));
      },
      /** Hide the tooltip if its anchor was re-rendered away (the answer is still streaming). */
      prune() {
        if (anchor && !anchor.isConnected) hide(true);
      },
      /** Returns true when a tooltip was open (so Escape closes it rather than the panel). */
      dismiss() {
        const open = Boolean(anchor);
        hide(true);
        return open;
      },
      hide,
    };
  }

  /* ------------------------------------------------------------------ the widget */

  class Widget {
    constructor(config) {
      this.config = config;
      this.target = resolveTarget(config.target);
      this.inline = Boolean(this.target);
      this.api = createApi(config);
      this.articles = null; // how many articles the service answers from, once known
      this.store = createStore(`careerqa:v1:${config.api}:${this.inline ? config.target : 'floating'}`);
      this.turns = []; // finished exchanges: {question, response, feedback, flags}
      this.controller = null;
      this.generation = 0; // bumped by "new chat", so a late answer can't land in the new one
      this.anchor = null; // the question the log keeps in view
      this.autoScrolled = null; // where we last scrolled the log to
      this.build();
      this.restore();
    }

    /* --- construction */

    build() {
      this.host = document.createElement('careerqa-widget');
      if (this.inline) this.host.setAttribute('data-inline', '');
      this.shadow = this.host.attachShadow({ mode: 'open' });
      this.shadow.append(h('style', { text: STYLES }));
      this.root = h('div', { class: 'cqa', 'data-theme': this.config.theme, 'data-placement': this.config.placement });
      this.shadow.append(this.root);
      (this.inline ? this.target : document.body).append(this.host);
      this.applyAccent();

      this.panel = this.buildPanel();
      this.tips = createTips(this.panel);
      this.root.append(this.panel);
      if (!this.inline) {
        this.launcher = h('button', {
          type: 'button',
          class: 'launcher',
          'aria-label': `Open chat: ${this.config.title}`,
          'aria-expanded': 'false',
          'aria-controls': 'cqa-panel',
          onclick: () => (this.isOpen() ? this.close() : this.open()),
        }, [icon('chat', 26), icon('close', 24)]);
        this.root.append(this.launcher);
      }
      for (const button of this.panel.querySelectorAll('.head .icon-btn')) {
        this.tips.attach(button, () => [h('p', { text: button.getAttribute('aria-label') })]);
      }
      // On the root rather than the panel, so Escape also works from the launcher.
      this.root.addEventListener('keydown', (e) => this.onKey(e));
      this.renderWelcome();
    }

    applyAccent() {
      const rgb = parseColor(this.config.accent, this.root) || parseColor(DEFAULTS.accent, this.root);
      for (const [name, value] of Object.entries(accentVariables(rgb))) this.root.style.setProperty(name, value);
    }

    buildPanel() {
      const c = this.config;
      this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
      this.input = h('textarea', {
        class: 'input',
        rows: 1,
        maxlength: MAX_QUESTION,
        placeholder: 'Ask a question…',
        'aria-label': 'Your question',
        oninput: () => this.resizeInput(),
        onkeydown: (e) => this.onInputKey(e),
      });
      this.sendButton = h('button', { type: 'submit', class: 'send', 'aria-label': 'Send question' }, icon('send', 18));
      this.stopButton = h('button', { type: 'button', class: 'send stop', 'aria-label': 'Stop answering', hidden: true, onclick: () => this.stop() }, icon('stop', 14));
      this.status = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
      const headerButtons = [iconButton('compose', 'New chat', { class: 'icon-btn new-chat', onclick: () => this.reset() })];
      if (!this.inline) headerButtons.push(iconButton('close', 'Close chat', { class: 'icon-btn close', onclick: () => this.close() }));

      const panel = h('div', Object.assign(
        { class: `panel ${this.inline ? 'inline' : 'floating'}`, id: 'cqa-panel', 'aria-labelledby': 'cqa-title' },
        this.inline ? { role: 'region' } : { role: 'dialog', 'aria-modal': 'true', hidden: true }
      ), [
        // A div, not <header>: outside the host's own banner a header is a second banner landmark.
        h('div', { class: 'head' }, [
          h('div', { class: 'avatar big', 'aria-hidden': 'true' }, icon('spark', 16)),
          h('div', { class: 'head-text' }, [
            h('h2', { class: 'title', id: 'cqa-title', text: c.title }),
            h('p', { class: 'subtitle', text: 'Answers cite the articles they come from' }),
          ]),
          h('div', { class: 'head-buttons' }, headerButtons),
        ]),
        this.log,
        h('form', { class: 'composer', onsubmit: (e) => (e.preventDefault(), this.submit()) }, [
          h('div', { class: 'input-wrap' }, [this.input, this.sendButton, this.stopButton]),
        ]),
        h('p', { class: 'foot', text: 'Answers quote their sources. Check them before relying on one.' }),
        this.status,
      ]);
      return panel;
    }

    renderWelcome() {
      const greeting = h('div', { class: 'msg msg-bot greeting' }, [
        h('div', { class: 'avatar', 'aria-hidden': 'true' }, icon('spark', 14)),
        h('div', { class: 'bot-content' }, h('p', { class: 'greeting-text', text: this.config.greeting })),
      ]);
      this.suggestions = h('div', { class: 'suggestions', role: 'group', 'aria-label': 'Suggested questions' },
        this.config.suggestions.map((q) => h('button', { type: 'button', class: 'chip', text: q, onclick: () => this.ask(q) })));
      this.log.replaceChildren(greeting, this.suggestions);
    }

    /* --- open / close, keyboard */

    isOpen() {
      return this.inline || !this.panel.hidden;
    }

    open(options) {
      if (this.inline || this.isOpen()) return;
      this.panel.hidden = false;
      this.root.setAttribute('data-open', '');
      this.launcher.setAttribute('aria-expanded', 'true');
      this.launcher.setAttribute('aria-label', `Close chat: ${this.config.title}`);
      this.autoScrolled = null;
      this.follow();
      if (!options || options.focus !== false) this.input.focus();
      this.persist();
    }

    close() {
      if (this.inline || !this.isOpen()) return;
      this.tips.dismiss();
      this.panel.hidden = true;
      this.root.removeAttribute('data-open');
      this.launcher.setAttribute('aria-expanded', 'false');
      this.launcher.setAttribute('aria-label', `Open chat: ${this.config.title}`);
      this.launcher.focus();
      this.persist();
    }

    activeElement() {
      return this.shadow.activeElement;
    }

    onKey(e) {
      if (e.key === 'Escape') {
        if (this.tips.dismiss()) e.stopPropagation();
        else if (!this.inline && this.isOpen()) {
          e.stopPropagation();
          this.close();
        }
      } else if (e.key === 'Tab' && !this.inline && this.isOpen()) {
        this.trapFocus(e);
      }
    }

    /**
     * Keep Tab inside the open dialog (aria-modal). Pointer users can still click the page
     * behind it; the panel only governs keyboard focus.
     */
    trapFocus(e) {
      const items = Array.from(this.panel.querySelectorAll('a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])'))
        .filter((el) => el.getClientRects().length > 0);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      const current = this.activeElement();
      if (e.shiftKey && (current === first || !items.includes(current))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (current === last || !items.includes(current))) {
        e.preventDefault();
        first.focus();
      }
    }

    onInputKey(e) {
      // Enter sends, Shift+Enter breaks the line; never send mid-composition (IME input).
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    }

    resizeInput() {
      this.input.style.height = 'auto';
      this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
    }

    /** Scroll so the latest question is in view; the answer then grows below it. */
    reveal(userEl) {
      this.anchor = userEl;
      this.autoScrolled = null;
      this.follow();
    }

    /**
     * Follow a streaming answer down until its question reaches the top of the log, so the
     * reader starts reading at the beginning rather than being dragged to the end. Stops
     * following as soon as the reader scrolls by themselves.
     */
    follow() {
      const log = this.log;
      const moved = typeof this.autoScrolled === 'number' && Math.abs(log.scrollTop - this.autoScrolled) > 4;
      if (moved) return;
      const end = log.scrollHeight - log.clientHeight;
      const target = Math.max(0, Math.min(end, this.anchor ? this.anchor.offsetTop - 12 : end));
      if (target > log.scrollTop) log.scrollTop = target;
      this.autoScrolled = log.scrollTop;
    }

    announce(text) {
      this.status.textContent = '';
      setTimeout(() => (this.status.textContent = text), 50);
    }

    /* --- asking */

    submit() {
      const question = this.input.value.trim();
      if (!question || this.controller) return;
      this.input.value = '';
      this.resizeInput();
      this.ask(question);
    }

    /** Earlier turns, oldest first, trimmed to what the API accepts. */
    history() {
      const turns = [];
      for (const t of this.turns) {
        turns.push({ role: 'user', content: t.question.slice(0, MAX_TURN_CHARS) });
        turns.push({ role: 'assistant', content: String(t.response.answer || '').slice(0, MAX_TURN_CHARS) });
      }
      return turns.slice(-MAX_HISTORY_TURNS);
    }

    /** Learn the article count once, and put it into a loading line already showing. */
    async loadArticles() {
      if (this.articlesAsked) return;
      this.articlesAsked = true;
      const count = await this.api.articleCount();
      if (!count) return;
      this.articles = count;
      for (const line of this.log.querySelectorAll('.typing')) line.replaceWith(typingDots(count));
    }

    async ask(question) {
      question = String(question).trim().slice(0, MAX_QUESTION);
      if (!question || this.controller) return;
      this.loadArticles();
      this.open();
      // A suggestion chip disappears with the suggestions: keep focus in the composer.
      const fromChip = this.suggestions.contains(this.activeElement());
      this.suggestions.hidden = true;
      if (fromChip) this.input.focus();
      const userEl = this.userBubble(question);
      const view = new AnswerView(this, question);
      this.log.append(userEl, view.el);
      this.reveal(userEl);

      const payload = { question, history: this.history() };
      if (this.config.mode) payload.mode = this.config.mode;
      this.setStreaming(new AbortController());
      const generation = this.generation;
      let final = null;
      try {
        await this.api.ask(payload, this.controller.signal, {
          citations: (d) => view.onCitations(d),
          delta: (d) => view.onDelta(d),
          check: (d) => view.onCheck(d),
          done: (d) => (final = d),
        });
        if (!final && !view.data.answer) throw new WidgetError('stream', 'The answer stream ended before any answer arrived.');
        if (final) this.completeTurn(view, question, final);
        else this.onStopped(view, question, 'cut_off'); // the stream ended without its `done`
      } catch (err) {
        if (!(err instanceof WidgetError)) console.error('careerqa:', err); // a bug, not the network
        if (generation !== this.generation) return; // the chat was cleared meanwhile
        if (err.kind === 'aborted') this.onStopped(view, question);
        else this.showError(err, question, [userEl, view.el]);
      } finally {
        this.setStreaming(null);
        this.follow();
      }
    }

    completeTurn(view, question, response) {
      const turn = { question, response: pickResponse(response), feedback: null, flags: [] };
      this.turns.push(turn);
      view.finish(turn.response, turn);
      this.persist();
      this.announce('Answer ready.');
    }

    /** End an answer that did not finish: stopped by the visitor, or `cut_off` by the stream. */
    onStopped(view, question, why = 'stopped') {
      if (view.data.answer) {
        const turn = { question, response: Object.assign(pickResponse(view.data), { stopped: why }), feedback: null, flags: [] };
        this.turns.push(turn);
        this.persist();
        view.record = turn;
      }
      view.stopped(why);
      this.announce(incompleteText(why));
    }

    setStreaming(controller) {
      this.controller = controller;
      this.sendButton.hidden = Boolean(controller);
      this.stopButton.hidden = !controller;
      this.root.toggleAttribute('data-busy', Boolean(controller));
      // Move focus along with the button swap so keyboard users don't lose their place.
      const active = this.activeElement();
      if (controller && active === this.sendButton) this.stopButton.focus();
      if (!controller && active === this.stopButton) this.input.focus();
    }

    stop() {
      if (this.controller) this.controller.abort();
    }

    userBubble(question) {
      return h('div', { class: 'msg msg-user' }, [h('span', { class: 'sr-only', text: 'You asked:' }), h('p', { class: 'bubble', text: question })]);
    }

    /** Replace a failed answer with an explanation and a way to try again. */
    showError(err, question, failedEls) {
      const view = failedEls[1];
      const retry = h('button', { type: 'button', class: 'btn ghost retry', text: 'Try again' });
      let title;
      let text;
      let iconName = 'offline';
      const extra = {};
      if (err.kind === 'rate_limited') {
        iconName = 'clock';
        title = 'Too many questions right now';
        const seconds = err.retryAfter;
        extra['data-retry-after'] = seconds === null || seconds === undefined ? '' : seconds;
        text = seconds ? `Please retry after ${seconds} s.` : 'Please wait a moment and retry.';
      } else if (err.kind === 'unreachable') {
        title = 'Can’t reach the answer service';
        text = 'Check your connection, or try again in a moment.';
      } else if (err.kind === 'timeout') {
        iconName = 'clock';
        title = 'The answer is taking too long';
        text = `${err.message} Try again in a moment.`;
      } else {
        iconName = 'warn';
        title = 'Something went wrong';
        text = err.message;
      }
      const textEl = h('p', { class: 'alert-text', text });
      const card = h('div', Object.assign({ class: `alert error kind-${err.kind}`, role: 'alert' }, extra), [
        icon(iconName, 18),
        h('div', { class: 'alert-main' }, [h('p', { class: 'alert-title', text: title }), textEl, retry]),
      ]);
      view.replaceWith(h('div', { class: 'msg msg-bot' }, [h('div', { class: 'avatar', 'aria-hidden': 'true' }, icon('spark', 14)), h('div', { class: 'bot-content' }, card)]));
      const errorMsg = card.closest('.msg');
      if (err.kind === 'rate_limited' && err.retryAfter) this.countdown(err.retryAfter, textEl, retry);
      retry.addEventListener('click', () => {
        failedEls[0].remove();
        errorMsg.remove();
        this.ask(question);
      });
    }

    /** Count the Retry-After delay down, then offer the retry. */
    countdown(seconds, textEl, retry) {
      retry.disabled = true;
      let left = seconds;
      const tick = () => {
        if (!textEl.isConnected) return;
        if (left <= 0) {
          textEl.textContent = 'You can ask again now.';
          retry.disabled = false;
          return;
        }
        textEl.textContent = `Please retry after ${left} s.`;
        left -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    }

    /* --- conversation state */

    reset() {
      this.stop();
      this.generation += 1;
      this.turns = [];
      this.anchor = null;
      this.persist();
      this.tips.dismiss();
      this.renderWelcome();
      this.input.value = '';
      this.resizeInput();
      this.input.focus();
      this.announce('Started a new chat.');
    }

    persist() {
      if (!this.turns.length && !this.isOpen()) return this.store.clear();
      this.store.save({ turns: this.turns, open: !this.inline && this.isOpen() });
    }

    restore() {
      const saved = this.store.load();
      if (!saved || !Array.isArray(saved.turns)) return;
      this.turns = saved.turns.filter((t) => t && t.question && t.response);
      for (const turn of this.turns) {
        const view = new AnswerView(this, turn.question);
        this.anchor = this.userBubble(turn.question);
        this.log.append(this.anchor, view.el);
        view.finish(turn.response, turn);
        if (turn.response.stopped) {
          view.el.classList.add('incomplete');
          view.footer.prepend(h('p', { class: 'stopped', text: incompleteText(turn.response.stopped) }));
        }
      }
      if (this.turns.length) this.suggestions.hidden = true;
      // Reopen where the reader left off, without pulling focus away from the new page.
      if (saved.open) this.open({ focus: false });
    }

    destroy() {
      this.stop();
      this.host.remove();
    }
  }

  /** The parts of an AskResponse worth keeping in sessionStorage. */
  function pickResponse(r) {
    const keep = ['answer', 'sentences', 'citations', 'citation_check', 'covered', 'uncovered', 'question', 'standalone_question', 'relevance', 'mode', 'degraded', 'notice'];
    const out = {};
    for (const key of keep) if (r[key] !== undefined) out[key] = r[key];
    out.answer = String(out.answer || '');
    out.citations = Array.isArray(out.citations) ? out.citations : [];
    return out;
  }

  function resolveTarget(target) {
    if (!target) return null;
    if (target instanceof Element) return target;
    const el = document.querySelector(target);
    if (!el) console.warn(`careerqa: no element matches ${target}; showing the floating widget instead.`);
    return el;
  }

  /* ------------------------------------------------------------------ styles */

  const LIGHT = `
    --bg: #ffffff; --surface: #f5f6f8; --surface-2: #eceef2; --border: #e2e5ea; --border-strong: #c9ced6;
    --text: #141821; --muted: #535c6b;
    --accent-soft: var(--accent-soft-light); --accent-text: var(--accent-text-light);
    --ok-bg: #e8f7ee; --ok-text: #146c43; --warn-bg: #fff6e0; --warn-text: #8a3c0b; --warn-line: #d97706;
    --err-bg: #fef1f0; --err-text: #a8251b; --err-border: #fbd5d1;
    --tip-bg: #1b1f27; --tip-text: #f3f4f6; --tip-muted: #b7bec9;
    --shadow: 0 24px 60px -16px rgba(17, 24, 39, .30), 0 4px 14px rgba(17, 24, 39, .08);
    color-scheme: light;`;
  const DARK = `
    --bg: #15171c; --surface: #1d2027; --surface-2: #272b34; --border: #2d323c; --border-strong: #3f4552;
    --text: #eceef2; --muted: #a6adba;
    --accent-soft: var(--accent-soft-dark); --accent-text: var(--accent-text-dark);
    --ok-bg: #12291d; --ok-text: #7ddba3; --warn-bg: #2d2211; --warn-text: #f8c16a; --warn-line: #f59e0b;
    --err-bg: #2c1616; --err-text: #fca5a0; --err-border: #4a2322;
    --tip-bg: #f3f4f6; --tip-text: #15171c; --tip-muted: #4b5361;
    --shadow: 0 24px 60px -12px rgba(0, 0, 0, .6), 0 4px 14px rgba(0, 0, 0, .35);
    color-scheme: dark;`;

  const STYLES = `
  :host { all: initial; }
  :host([data-inline]) { display: block; height: 100%; }
  [hidden] { display: none !important; }
  /* The host element inherits from the page (its own styles beat :host), so reset every
     inherited property at our root before setting our own. */
  .cqa { all: initial; }
  .cqa {
    ${LIGHT}
    display: block; visibility: visible; direction: ltr;
    font-family: Inter, -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", system-ui, sans-serif;
    font-size: 14px; line-height: 1.55; color: var(--text); text-align: left;
    -webkit-font-smoothing: antialiased; height: 100%;
  }
  .cqa[data-theme="dark"] { ${DARK} }
  @media (prefers-color-scheme: dark) { .cqa[data-theme="auto"] { ${DARK} } }
  .cqa *, .cqa *::before, .cqa *::after { box-sizing: border-box; }
  .cqa p, .cqa h2, .cqa h3, .cqa ol, .cqa ul { margin: 0; }
  .cqa button, .cqa textarea { font: inherit; color: inherit; }
  .cqa button { cursor: pointer; }
  .cqa :focus-visible { outline: 2px solid var(--accent-text); outline-offset: 2px; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

  /* launcher */
  .launcher {
    position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
    width: 56px; height: 56px; border-radius: 50%; border: 0; padding: 0;
    display: grid; place-items: center; background: var(--accent); color: var(--on-accent);
    box-shadow: 0 10px 28px -6px rgba(17, 24, 39, .45), 0 2px 6px rgba(17, 24, 39, .18);
    transition: transform .18s ease, box-shadow .18s ease;
  }
  .launcher:hover { transform: translateY(-2px) scale(1.03); }
  .launcher svg { grid-area: 1 / 1; transition: opacity .15s, transform .2s; }
  .launcher svg:last-child, .cqa[data-open] .launcher svg:first-child { opacity: 0; transform: rotate(-45deg) scale(.6); }
  .cqa[data-open] .launcher svg:last-child { opacity: 1; transform: none; }
  .cqa[data-placement="bottom-left"] .launcher { right: auto; left: 20px; }

  /* panel */
  .panel {
    display: flex; flex-direction: column; overflow: hidden; position: relative;
    background: var(--bg); color: var(--text);
  }
  .panel.floating {
    position: fixed; z-index: 2147483001; right: 20px; bottom: 90px;
    width: 400px; height: min(680px, calc(100vh - 112px)); max-height: calc(100vh - 112px);
    border-radius: 18px; border: 1px solid var(--border); box-shadow: var(--shadow);
    transform-origin: bottom right; animation: cqa-in .2s cubic-bezier(.2, .8, .3, 1);
  }
  .cqa[data-placement="bottom-left"] .panel.floating { right: auto; left: 20px; transform-origin: bottom left; }
  .panel.inline { height: 100%; min-height: 460px; border-radius: 14px; border: 1px solid var(--border); box-shadow: 0 1px 3px rgba(17, 24, 39, .06); }
  @keyframes cqa-in { from { opacity: 0; transform: translateY(12px) scale(.97); } }

  .head { display: flex; align-items: center; gap: 10px; padding: 14px 12px 14px 16px; border-bottom: 1px solid var(--border); }
  .head-text { flex: 1; min-width: 0; }
  .title { font-size: 15px; font-weight: 650; line-height: 1.3; letter-spacing: -.01em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .subtitle { font-size: 12px; color: var(--muted); line-height: 1.35; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .head-buttons { display: flex; gap: 2px; }
  .avatar {
    flex: none; width: 26px; height: 26px; border-radius: 8px; display: grid; place-items: center;
    background: var(--accent); color: var(--on-accent);
  }
  .avatar.big { width: 34px; height: 34px; border-radius: 10px; }
  .icon-btn {
    display: inline-grid; place-items: center; width: 32px; height: 32px; padding: 0;
    border: 0; border-radius: 8px; background: transparent; color: var(--muted);
    transition: background .15s, color .15s;
  }
  .icon-btn:hover:not(:disabled) { background: var(--surface-2); color: var(--text); }
  .icon-btn[aria-pressed="true"] { background: var(--accent-soft); color: var(--accent-text); }
  .icon-btn:disabled { cursor: default; }
  .icon-btn:disabled:not([aria-pressed="true"]) { opacity: .45; }

  /* conversation */
  .log { position: relative; flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 18px 16px 8px; }
  .msg { display: flex; gap: 10px; margin-bottom: 18px; }
  .msg-user { justify-content: flex-end; }
  .bubble {
    max-width: 85%; padding: 9px 14px; border-radius: 18px 18px 5px 18px;
    background: var(--accent); color: var(--on-accent); white-space: pre-wrap; overflow-wrap: anywhere;
  }
  .bot-content { flex: 1; min-width: 0; padding-top: 2px; }
  .greeting-text { padding: 10px 14px; border-radius: 5px 18px 18px 18px; background: var(--surface); display: inline-block; }
  .suggestions { display: flex; flex-direction: column; align-items: flex-start; gap: 8px; margin: -6px 0 18px 36px; }
  .chip {
    padding: 7px 13px; border-radius: 999px; border: 1px solid var(--border); background: var(--bg);
    font-size: 13px; line-height: 1.35; text-align: left; color: var(--accent-text);
    box-shadow: 0 1px 2px rgba(17, 24, 39, .05); transition: background .15s, border-color .15s;
  }
  .chip:hover { background: var(--accent-soft); border-color: var(--accent-text); }

  .answer { overflow-wrap: anywhere; }
  .answer p { margin: 0 0 8px; }
  .answer h3 { font-size: 14px; font-weight: 650; margin: 12px 0 4px; }
  .answer h3:first-child { margin-top: 0; }
  .flag-thanks { font-size: 12px; color: var(--muted); margin-top: 6px; }
  .answer ul { margin: 0 0 8px; padding-left: 18px; }
  .answer li { margin: 3px 0; }
  .answer li::marker { color: var(--muted); }
  .cite {
    display: inline-grid; place-items: center; min-width: 18px; height: 18px; padding: 0 5px; margin: 0 1px;
    border: 0; border-radius: 6px; vertical-align: 2px; font-size: 11px; font-weight: 700; line-height: 1;
    background: var(--accent-soft); color: var(--accent-text); text-decoration: none;
    transition: background .12s, color .12s;
  }
  a.cite:hover, a.cite:focus-visible, button.cite:hover { background: var(--accent); color: var(--on-accent); }
  .cite-missing { background: transparent; color: var(--muted); font-weight: 500; }
  .unsupported {
    text-decoration: underline dashed var(--warn-line); text-decoration-thickness: 1.5px; text-underline-offset: 4px;
  }
  .nowrap { white-space: nowrap; }
  .unsup-flag {
    display: inline-grid; place-items: center; width: 18px; height: 18px; margin-left: 2px; padding: 0; vertical-align: -3px;
    border: 0; border-radius: 5px; background: var(--warn-bg); color: var(--warn-text);
  }
  .typing { display: flex; align-items: center; gap: 5px; padding: 10px 2px; }
  .typing-text { margin-left: 6px; font-size: 13px; color: var(--muted); }
  .typing .dot { width: 7px; height: 7px; border-radius: 50%; background: var(--muted); opacity: .35; animation: cqa-dot 1.1s infinite ease-in-out; }
  .typing span:nth-child(2) { animation-delay: .15s; }
  .typing span:nth-child(3) { animation-delay: .3s; }
  @keyframes cqa-dot { 30% { opacity: .9; transform: translateY(-3px); } }
  .cqa[data-busy] .msg-bot:last-child .answer > :is(p, h3):last-child::after,
  .cqa[data-busy] .msg-bot:last-child .answer > ul:last-child > li:last-child::after {
    content: ""; display: inline-block; width: 7px; height: 15px; margin-left: 2px; vertical-align: -2px;
    background: var(--accent-text); opacity: .6; border-radius: 2px; animation: cqa-blink 1s steps(2) infinite;
  }
  @keyframes cqa-blink { 50% { opacity: 0; } }

  .notices > * { margin-bottom: 10px; }
  .notice, .searched { font-size: 12px; color: var(--muted); }
  .meta-row:not(:empty) { margin: 2px 0 4px; }
  .check {
    display: inline-flex; align-items: center; gap: 5px; padding: 3px 9px 3px 7px; border: 0; border-radius: 999px;
    font-size: 11.5px; font-weight: 600; line-height: 1.3; cursor: default;
  }
  .check.ok { background: var(--ok-bg); color: var(--ok-text); }
  .check.warn { background: var(--warn-bg); color: var(--warn-text); }

  .source-quotes { list-style: none; margin: 4px 0 0; padding: 0; display: grid; gap: 3px; }
  .source-quote { font-size: 12px; color: var(--muted); border-left: 2px solid var(--border-strong); padding-left: 6px; }
  .sources-title { margin: 12px 0 6px; font-size: 11px; font-weight: 700; letter-spacing: .07em; text-transform: uppercase; color: var(--muted); }
  .sources { list-style: none; padding: 0; display: grid; grid-template-columns: minmax(0, 1fr); gap: 6px; }
  .source {
    display: flex; align-items: center; gap: 10px; padding: 8px 6px 8px 10px;
    border: 1px solid var(--border); border-radius: 12px; background: var(--bg);
    transition: border-color .15s, box-shadow .15s, background .15s;
  }
  .source:hover, .source.is-active { border-color: var(--border-strong); box-shadow: 0 2px 8px -2px rgba(17, 24, 39, .12); }
  .source.is-active { background: var(--surface); }
  .source-num {
    flex: none; display: grid; place-items: center; width: 22px; height: 22px; border-radius: 7px;
    background: var(--accent-soft); color: var(--accent-text); font-size: 11.5px; font-weight: 700;
  }
  .source-main { flex: 1; min-width: 0; }
  .source-title {
    display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden;
    font-size: 13px; font-weight: 600; line-height: 1.35; color: var(--text); text-decoration: none; overflow-wrap: anywhere;
  }
  a.source-title:hover { color: var(--accent-text); text-decoration: underline; }
  .source-meta { font-size: 12px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .source-flag { width: 28px; height: 28px; }

  .answer-foot { margin-top: 8px; }
  .actions { display: flex; align-items: center; gap: 2px; margin-left: -6px; }
  .actions .icon-btn { width: 30px; height: 30px; }
  .action-status { margin-left: 6px; font-size: 12px; color: var(--muted); }
  .stopped { font-size: 12px; color: var(--muted); font-style: italic; }
  .fb-form { display: grid; gap: 8px; margin-top: 8px; padding: 10px; border: 1px solid var(--border); border-radius: 12px; background: var(--surface); }
  .fb-comment {
    width: 100%; resize: vertical; min-height: 56px; padding: 8px 10px; border: 1px solid var(--border); border-radius: 8px;
    background: var(--bg); font-size: 13px;
  }
  .fb-comment::placeholder, .input::placeholder { color: var(--muted); opacity: 1; }
  .fb-error:empty { display: none; }
  .fb-error { font-size: 12px; color: var(--err-text); }
  .fb-buttons { display: flex; justify-content: flex-end; gap: 6px; }
  .btn { padding: 6px 12px; border-radius: 8px; font-size: 13px; font-weight: 600; border: 1px solid transparent; }
  .btn.primary { background: var(--accent); color: var(--on-accent); }
  .btn.ghost { background: var(--bg); border-color: var(--border); color: var(--text); }
  .btn.ghost:hover:not(:disabled) { background: var(--surface-2); }
  .btn:disabled { opacity: .5; cursor: default; }

  .alert { display: flex; gap: 10px; padding: 11px 12px; border-radius: 12px; border: 1px solid var(--border); background: var(--surface); }
  .alert > svg { flex: none; margin-top: 1px; color: var(--muted); }
  .alert.error { background: var(--err-bg); border-color: var(--err-border); color: var(--err-text); }
  .alert.error > svg { color: var(--err-text); }
  .alert.error.kind-rate_limited { background: var(--warn-bg); border-color: transparent; color: var(--warn-text); }
  .alert.error.kind-rate_limited > svg { color: var(--warn-text); }
  .alert-title { font-weight: 650; }
  .alert-main { display: grid; gap: 2px; justify-items: start; }
  .alert .retry { margin-top: 8px; }

  /* composer */
  .composer { padding: 10px 12px 4px; }
  .input-wrap {
    display: flex; align-items: flex-end; gap: 8px; padding: 6px 6px 6px 14px;
    border: 1px solid var(--border-strong); border-radius: 16px; background: var(--bg);
    transition: border-color .15s, box-shadow .15s;
  }
  .input-wrap:focus-within { border-color: var(--accent-text); box-shadow: 0 0 0 3px var(--accent-soft); }
  .input {
    flex: 1; min-height: 34px; max-height: 140px; padding: 6px 0; border: 0; outline: none; resize: none;
    background: transparent; line-height: 1.45; font-size: 14px;
  }
  .input:focus-visible { outline: none; }
  .send {
    flex: none; display: grid; place-items: center; width: 34px; height: 34px; padding: 0;
    border: 0; border-radius: 11px; background: var(--accent); color: var(--on-accent); transition: opacity .15s, transform .1s;
  }
  .send:active { transform: scale(.94); }
  .send.stop { background: var(--text); color: var(--bg); }
  .foot { padding: 4px 16px 10px; font-size: 11px; color: var(--muted); text-align: center; }

  /* tooltip */
  .tip {
    position: absolute; z-index: 10; max-width: min(300px, calc(100% - 16px)); padding: 10px 12px;
    border-radius: 10px; background: var(--tip-bg); color: var(--tip-text);
    font-size: 12.5px; line-height: 1.45; box-shadow: 0 12px 32px -8px rgba(0, 0, 0, .35);
  }
  .tip p + p { margin-top: 6px; }
  .tip-quote { font-style: italic; }
  .tip-quote::before { content: "“"; }
  .tip-quote::after { content: "”"; }
  .tip-src { font-size: 11.5px; color: var(--tip-muted); }
  .tip-title { font-weight: 650; }

  /* phones: the floating panel takes the whole screen */
  @media (max-width: 480px) {
    .panel.floating {
      inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; border: 0;
      transform-origin: bottom center;
    }
    .cqa[data-placement="bottom-left"] .panel.floating { left: 0; }
    .cqa[data-open] .launcher { display: none; }
    .log { padding: 16px 12px 8px; }
  }
  @media (prefers-reduced-motion: reduce) {
    .cqa *, .cqa *::before, .cqa *::after { animation: none !important; transition: none !important; scroll-behavior: auto !important; }
  }
  `;

  /* ------------------------------------------------------------------ public API */

  const instances = [];

  /** Create a widget. Options: api, apiKey, title, greeting, suggestions, placement, theme, accent, target, mode. */
  function init(options) {
    const config = normalizeConfig(Object.assign({}, readScriptOptions(SCRIPT), options));
    const widget = new Widget(config);
    instances.push(widget);
    return {
      open: () => widget.open(),
      close: () => widget.close(),
      ask: (question) => widget.ask(question),
      reset: () => widget.reset(),
      destroy: () => {
        widget.destroy();
        instances.splice(instances.indexOf(widget), 1);
      },
      get element() {
        return widget.host;
      },
    };
  }

  const api = { version: VERSION, init, instance: null };
  window.CareerQA = api;

  // <script data-manual> leaves the set-up to a CareerQA.init({...}) call.
  if (SCRIPT && !SCRIPT.hasAttribute('data-manual')) {
    const boot = () => (api.instance = init());
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
    else boot();
  }
})();
