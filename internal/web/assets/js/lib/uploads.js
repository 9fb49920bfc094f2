// File attachments: upload with progress (POST /uploads; fetch cannot
// report upload progress, XMLHttpRequest can) and download with the token
// (GET /uploads/{file_id} needs the Authorization header, so a plain link
// cannot fetch it).

import { url } from './config.js';
import { el } from './dom.js';

/**
 * upload sends one file and resolves with the server's record
 * {file_id, name, size, content_type}. onProgress gets 0..1.
 */
export function upload(token, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url('/uploads'));
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201 && xhr.response && xhr.response.file_id) resolve(xhr.response);
      else reject(new Error(xhr.response?.error?.message || `upload failed (${xhr.status})`));
    });
    xhr.addEventListener('error', () => reject(new Error('upload failed: the server could not be reached')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** download fetches an attachment with the token and saves it. */
export async function download(token, attachment) {
  const res = await fetch(url(`/uploads/${encodeURIComponent(attachment.file_id)}`), {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`download failed (${res.status})`);
  const href = URL.createObjectURL(await res.blob());
  const link = el('a', { href, download: attachment.name || 'attachment' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** formatSize shows a byte count as B, KB or MB. */
export function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
