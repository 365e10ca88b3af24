/**
 * What a finished download left in a hub model's cache folder: for each
 * dtype, its weights file and every file with its size, written only after
 * all of them arrived whole. A model is used from the cache only when its
 * manifest says so and the files still have those sizes, so a set that a
 * crash, a full disk or an interrupted external-data file left incomplete
 * is downloaded again rather than loaded.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ConcreteDtype } from './modelFiles';

const MANIFEST = '.glassbox-download.json';

interface Entry {
	weights: string;
	/** Relative path → size in bytes. */
	files: Record<string, number>;
}

type Manifest = Partial<Record<ConcreteDtype, Entry>>;

function read(folder: string): Manifest {
	try {
		return JSON.parse(fs.readFileSync(path.join(folder, MANIFEST), 'utf8')) as Manifest;
	} catch {
		return {};
	}
}

/** The weights file of `dtype` when its download finished and every file is still there, whole. */
export function completeDownload(folder: string, dtype: ConcreteDtype): string | undefined {
	const entry = read(folder)[dtype];
	if (!entry) {
		return undefined;
	}
	const whole = Object.entries(entry.files).every(([file, size]) => {
		try {
			return fs.statSync(path.join(folder, file)).size === size;
		} catch {
			return false;
		}
	});
	return whole ? entry.weights : undefined;
}

/** A dtype whose download finished, for `auto` offline (the first one recorded). */
export function downloadedDtype(folder: string): ConcreteDtype | undefined {
	return (Object.keys(read(folder)) as ConcreteDtype[]).find((d) => completeDownload(folder, d));
}

/** Record a finished download (written to a temporary name, then renamed). */
export function recordDownload(folder: string, dtype: ConcreteDtype, weights: string, files: string[]): void {
	const manifest = read(folder);
	manifest[dtype] = { weights, files: Object.fromEntries(files.map((f) => [f, fs.statSync(path.join(folder, f)).size])) };
	const temporary = path.join(folder, `${MANIFEST}.${process.pid}.tmp`);
	fs.writeFileSync(temporary, JSON.stringify(manifest, null, 1));
	fs.renameSync(temporary, path.join(folder, MANIFEST));
}
