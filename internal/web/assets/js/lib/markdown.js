// A deliberately small Markdown renderer for chat messages. It builds DOM
// nodes from text (createTextNode, createElement): raw HTML in a message is
// shown as text, never parsed. Supported: paragraphs and line breaks,
// fenced code blocks, `code`, **bold**, *italic* / _italic_, bullet and
// numbered lists, [links](https://...) and bare http(s) URLs. Links open in
// a new tab with rel="noopener noreferrer"; any scheme other than http and
// https is shown as plain text.

import { el } from './dom.js';

// A bare URL: characters other than space, angle brackets, parentheses and
// quotation marks, with balanced (...) groups allowed inside (Wikipedia
// style). It never ends in punctuation or a quotation mark, so "see
// https://x.example/a." or “https://x.example/a” link without the mark.
const quotes = '"“”‘’«»';
const urlChar = `[^\\s<>()${quotes}]`;
const urlParens = `\\([^\\s<>()${quotes}]*\\)`;
const urlEnd = `[^\\s<>().,:;!?'${quotes}]`;

const inlinePattern = new RegExp([
  '`([^`\\n]+)`', // 1: code
  '\\*\\*([^*\\n]+?)\\*\\*', // 2: bold
  '\\*([^*\\s][^*\\n]*?)\\*', // 3: italic
  '\\b_([^_\\s][^_\\n]*?)_\\b', // 4: italic
  '\\[([^\\]\\n]+)\\]\\(([^)\\s]+)\\)', // 5, 6: link
  `(https?:\\/\\/(?:${urlChar}|${urlParens})*(?:${urlEnd}|${urlParens}))`, // 7: bare URL
].join('|'), 'g');

/** safeURL returns the URL if it is absolute http(s), else null. */
export function safeURL(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function link(href, text) {
  return el('a', { href, rel: 'noopener noreferrer', target: '_blank', text });
}

/** renderInline appends the inline elements of text to parent. */
function renderInline(text, parent) {
  let last = 0;
  for (const m of text.matchAll(inlinePattern)) {
    if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
    last = m.index + m[0].length;
    if (m[1] !== undefined) parent.append(el('code', { text: m[1] }));
    else if (m[2] !== undefined) renderInline(m[2], parent.appendChild(el('strong')));
    else if (m[3] !== undefined || m[4] !== undefined) renderInline(m[3] ?? m[4], parent.appendChild(el('em')));
    else if (m[5] !== undefined) {
      const href = safeURL(m[6]);
      parent.append(href ? link(href, m[5]) : document.createTextNode(m[0]));
    } else {
      const href = safeURL(m[7]);
      parent.append(href ? link(href, m[7]) : document.createTextNode(m[7]));
    }
  }
  if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
}

/** renderLines appends lines joined by <br> to parent. */
function renderLines(lines, parent) {
  lines.forEach((line, i) => {
    if (i > 0) parent.append(el('br'));
    renderInline(line, parent);
  });
  return parent;
}

const bullet = /^\s*[-*+]\s+(.*)$/;
const numbered = /^\s*\d+[.)]\s+(.*)$/;

/** renderBlock renders one paragraph-level block (no blank lines inside). */
function renderBlock(lines) {
  for (const [pattern, tag] of [[bullet, 'ul'], [numbered, 'ol']]) {
    if (lines.every((l) => pattern.test(l))) {
      const list = el(tag);
      for (const l of lines) list.append(renderLines([l.match(pattern)[1]], el('li')));
      return list;
    }
  }
  return renderLines(lines, el('p'));
}

/** plainText returns Markdown text without its markup, on one line: for
 * titles and previews. */
export function plainText(text) {
  return String(text)
    .replace(/```[\w+-]*/g, ' ')
    .replace(/\[([^\]\n]+)\]\([^)\s]+\)/g, '$1')
    .replace(/^\s*(?:[-*+]|\d+[.)]|#{1,6})\s+/gm, '')
    .replace(/\*\*|__|~~|`/g, '')
    .replace(/(^|[\s(])[*_](?=\S)/g, '$1') // *italic* and _italic_, not snake_case or 2*3
    .replace(/(\S)[*_](?=$|[\s).,:;!?])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** render returns a DocumentFragment with text rendered as Markdown. */
export function render(text) {
  const out = document.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  let para = [];
  const flush = () => {
    if (para.length) out.append(renderBlock(para));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i].match(/^\s*```\s*([\w+-]*)\s*$/);
    if (fence) {
      flush();
      const code = [];
      for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) code.push(lines[i]);
      const codeEl = el('code', { text: code.join('\n') });
      if (fence[1]) codeEl.dataset.lang = fence[1];
      out.append(el('pre', {}, codeEl));
    } else if (lines[i].trim() === '') {
      flush();
    } else {
      para.push(lines[i]);
    }
  }
  flush();
  return out;
}
