/**
 * Small helpers shared by the harness: the Linux process table (to find the
 * language server among code-server's children) and polling a condition with
 * a deadline instead of sleeping a fixed time.
 */
import * as fs from 'fs';

export interface ProcessInfo {
	pid: number;
	ppid: number;
	cmdline: string;
}

export function listProcesses(): ProcessInfo[] {
	const result: ProcessInfo[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) {
			continue;
		}
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			// The command name in parentheses may contain spaces; the fields after it do not.
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
			result.push({ pid: Number(entry), ppid, cmdline });
		} catch {
			// exited while we looked
		}
	}
	return result;
}

/** Every process below `root` in the process tree (not `root` itself). */
export function descendants(root: number): ProcessInfo[] {
	const all = listProcesses();
	const children = new Map<number, ProcessInfo[]>();
	for (const p of all) {
		children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
	}
	const found: ProcessInfo[] = [];
	const queue = [root];
	while (queue.length > 0) {
		for (const child of children.get(queue.shift()!) ?? []) {
			found.push(child);
			queue.push(child.pid);
		}
	}
	return found;
}

/**
 * Polls `check` until it returns a value other than false/undefined/null, and
 * returns that value; throws with `what` after `timeoutMs`. An exception from
 * `check` ends the wait at once.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | false | undefined | null> | T | false | undefined | null, intervalMs = 250): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== false && value !== undefined && value !== null) {
			return value;
		}
		if (Date.now() > deadline) {
			throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}.`);
		}
		await new Promise((r) => setTimeout(r, intervalMs));
	}
}
