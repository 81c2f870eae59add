// Memory figures of a running process from /proc/<pid>/status: the current resident set
// (VmRSS), its peak (VmHWM), resetting the peak, and sampling VmRSS while something happens.
import { readFileSync, writeFileSync } from 'node:fs';

export const MiB = 1024 * 1024;

// One "<Field>: <n> kB" line of /proc/<pid>/status, in bytes.
function statusField(pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!m) throw new Error(`${field} not found in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

// Current resident set size in bytes.
export function rssBytes(pid) {
  return statusField(pid, 'VmRSS');
}

// Peak resident set size in bytes since the start or the last resetPeakRss().
export function peakRssBytes(pid) {
  return statusField(pid, 'VmHWM');
}

// Resets the peak (VmHWM) to the current RSS by writing 5 to /proc/<pid>/clear_refs (Linux
// 4.0 and later). Returns false when the kernel or the permissions do not allow it; callers
// then rely on sampling alone.
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function formatMiB(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

// Samples VmRSS every intervalMs until stop(). stop() returns { max, samples, peak }, where
// peak is VmHWM when the peak could be reset at the start (so it covers the spikes between two
// samples too), else the largest sample.
export function sampleRss(pid, intervalMs = 25) {
  const reset = resetPeakRss(pid);
  let max = rssBytes(pid);
  let samples = 1;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssBytes(pid));
      samples += 1;
    } catch {
      // The process is gone; the caller notices that on its own.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      let peak = max;
      try {
        max = Math.max(max, rssBytes(pid));
        peak = reset ? Math.max(max, peakRssBytes(pid)) : max;
      } catch {
        // As above.
      }
      return { max, samples, peak };
    },
  };
}
