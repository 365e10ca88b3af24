/**
 * The token-to-token attention heatmap: one canvas (no element per cell), rows
 * are query tokens, columns key tokens. Big matrices are reduced to blocks
 * that hold their strongest weight, so the canvas never needs more cells than
 * the sidebar has room for. Every cell is inspectable by pointer and keyboard:
 * the readout names "query → key: weight", and the canvas carries the same in
 * data attributes for tests and tools.
 */
import { resolveColor } from './dom';
import { formatWeight, shortToken } from './format';
import { attentionAlpha, blockSizeFor, downsampleMax, type DownsampledMatrix, type TriangularMatrix } from './transforms';

const MIN_CELL_PX = 4;
const MAX_CELL_PX = 22;

export interface HeatmapEvents {
	/** Token text at an absolute position. */
	label(position: number): string;
	/** The user picked a cell (click or Enter): select its query token. */
	selectQuery(position: number): void;
}

interface Cell {
	row: number;
	col: number;
}

export class Heatmap {
	private grid: DownsampledMatrix | null = null;
	private cellPx = MIN_CELL_PX;
	private cursor: Cell | null = null;
	private selectedRow: number | null = null;
	private matrix: TriangularMatrix | null = null;
	/** The matrix `grid` was computed from, to know when to recompute. */
	private gridSource: TriangularMatrix | null = null;
	private readonly probe: HTMLElement;

	constructor(
		private readonly canvas: HTMLCanvasElement,
		private readonly readout: HTMLElement,
		private readonly events: HeatmapEvents,
	) {
		this.probe = document.createElement('span');
		this.probe.hidden = true;
		canvas.after(this.probe);
		canvas.addEventListener('pointermove', (e) => this.moveTo(this.cellAt(e.offsetX, e.offsetY)));
		canvas.addEventListener('pointerleave', () => {
			if (document.activeElement !== canvas) {
				this.moveTo(null);
			}
		});
		canvas.addEventListener('click', (e) => {
			const cell = this.cellAt(e.offsetX, e.offsetY);
			if (cell) {
				this.moveTo(cell);
				this.pick();
			}
		});
		canvas.addEventListener('focus', () => this.moveTo(this.cursor ?? { row: 0, col: 0 }));
		canvas.addEventListener('keydown', (e) => this.onKey(e));
		this.setState('empty');
	}

	setState(state: 'empty' | 'loading' | 'ready' | 'error'): void {
		this.canvas.dataset.state = state;
	}

	/** Shows a matrix (null clears the canvas). `description` names layer and head for screen readers. */
	setMatrix(matrix: TriangularMatrix | null, description: string): void {
		this.matrix = matrix;
		this.cursor = null;
		this.readout.textContent = '';
		this.canvas.setAttribute('role', 'img');
		this.canvas.setAttribute(
			'aria-label',
			matrix
				? `Attention heatmap, ${description}: ${matrix.totalTokens - matrix.rowStart} query tokens by ${matrix.totalTokens} key tokens. Arrow keys move between cells.`
				: 'Attention heatmap (empty)',
		);
		this.layout();
		this.setState(matrix ? 'ready' : 'empty');
	}

	setSelectedRow(position: number | null): void {
		this.selectedRow = position;
		this.draw();
	}

	/** Re-measures and redraws: after a resize or a theme change. */
	layout(): void {
		const matrix = this.matrix;
		if (!matrix) {
			this.grid = null;
			this.canvas.width = this.canvas.height = 0;
			this.canvas.style.width = this.canvas.style.height = '0px';
			return;
		}
		const available = Math.max(120, this.canvas.parentElement?.clientWidth ?? 240);
		const block = blockSizeFor(matrix.totalTokens, Math.floor(available / MIN_CELL_PX));
		if (this.gridSource !== matrix || this.grid?.block !== block) {
			this.grid = downsampleMax(matrix, block);
			this.gridSource = matrix;
		}
		const grid = this.grid;
		this.cellPx = Math.max(MIN_CELL_PX, Math.min(MAX_CELL_PX, Math.floor(available / grid.cols)));
		const dpr = window.devicePixelRatio || 1;
		const width = grid.cols * this.cellPx;
		const height = grid.rows * this.cellPx;
		this.canvas.style.width = `${width}px`;
		this.canvas.style.height = `${height}px`;
		this.canvas.width = Math.round(width * dpr);
		this.canvas.height = Math.round(height * dpr);
		const d = this.canvas.dataset;
		d.block = String(grid.block);
		d.cellPx = String(this.cellPx);
		d.rowStart = String(grid.rowStart);
		d.rows = String(grid.rows);
		d.cols = String(grid.cols);
		this.draw();
	}

	private draw(): void {
		const grid = this.grid;
		const ctx = this.canvas.getContext('2d');
		if (!grid || !ctx) {
			return;
		}
		const dpr = window.devicePixelRatio || 1;
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, grid.cols * this.cellPx, grid.rows * this.cellPx);
		const style = getComputedStyle(this.canvas);
		const cellColor = resolveColor(this.probe, style.getPropertyValue('--heat-color') || 'CanvasText');
		const baseColor = resolveColor(this.probe, style.getPropertyValue('--heat-base') || 'GrayText');
		const focusColor = resolveColor(this.probe, style.getPropertyValue('--heat-focus') || 'Highlight');
		const gap = this.cellPx >= 8 ? 1 : 0;
		const size = this.cellPx - gap;
		for (let r = 0; r < grid.rows; r++) {
			for (let c = 0; c < grid.cols; c++) {
				const i = r * grid.cols + c;
				if (grid.argRow[i] < 0) {
					continue; // entirely in the future: the causal mask leaves it empty
				}
				const x = c * this.cellPx;
				const y = r * this.cellPx;
				// A faint base marks every cell the token could attend to, even at weight 0.
				ctx.globalAlpha = 0.07;
				ctx.fillStyle = baseColor;
				ctx.fillRect(x, y, size, size);
				const alpha = attentionAlpha(grid.max[i]);
				if (alpha > 0) {
					ctx.globalAlpha = alpha;
					ctx.fillStyle = cellColor;
					ctx.fillRect(x, y, size, size);
				}
			}
		}
		ctx.globalAlpha = 1;
		if (this.selectedRow !== null && this.selectedRow >= grid.rowStart) {
			const r = Math.floor((this.selectedRow - grid.rowStart) / grid.block);
			ctx.strokeStyle = focusColor;
			ctx.setLineDash([3, 2]);
			ctx.lineWidth = 1;
			ctx.strokeRect(0.5, r * this.cellPx + 0.5, grid.cols * this.cellPx - 1, this.cellPx - 1);
			ctx.setLineDash([]);
		}
		if (this.cursor) {
			ctx.strokeStyle = focusColor;
			ctx.lineWidth = 2;
			ctx.strokeRect(this.cursor.col * this.cellPx + 1, this.cursor.row * this.cellPx + 1, this.cellPx - 2, this.cellPx - 2);
		}
	}

	private cellAt(x: number, y: number): Cell | null {
		const grid = this.grid;
		if (!grid) {
			return null;
		}
		const col = Math.floor(x / this.cellPx);
		const row = Math.floor(y / this.cellPx);
		return row >= 0 && row < grid.rows && col >= 0 && col < grid.cols ? { row, col } : null;
	}

	private moveTo(cell: Cell | null): void {
		this.cursor = cell;
		this.describe(cell);
		this.draw();
	}

	/** Writes the readout and the canvas's data-* for the cell under the pointer or cursor. */
	private describe(cell: Cell | null): void {
		const grid = this.grid;
		const d = this.canvas.dataset;
		delete d.query;
		delete d.key;
		delete d.weight;
		if (!grid || !cell) {
			this.readout.textContent = '';
			return;
		}
		const i = cell.row * grid.cols + cell.col;
		const q0 = grid.rowStart + cell.row * grid.block;
		const k0 = cell.col * grid.block;
		const q1 = Math.min(grid.totalTokens, q0 + grid.block) - 1;
		const k1 = Math.min(grid.totalTokens, k0 + grid.block) - 1;
		if (grid.argRow[i] < 0) {
			const range = grid.block === 1 ? `${this.token(q0)} → ${this.token(k0)}` : `queries ${q0}–${q1} → keys ${k0}–${k1}`;
			this.readout.textContent = `${range}: masked (a token cannot attend to later tokens)`;
			return;
		}
		const q = grid.argRow[i];
		const k = grid.argCol[i];
		const weight = formatWeight(grid.max[i]);
		d.query = String(q);
		d.key = String(k);
		d.weight = weight;
		this.readout.textContent =
			grid.block === 1
				? `${this.token(q)} → ${this.token(k)}: ${weight}`
				: `queries ${q0}–${q1} → keys ${k0}–${k1}: strongest ${this.token(q)} → ${this.token(k)}: ${weight}`;
	}

	private token(position: number): string {
		return `“${shortToken(this.events.label(position), 16)}” (${position})`;
	}

	private pick(): void {
		const grid = this.grid;
		if (grid && this.cursor) {
			const q = grid.argRow[this.cursor.row * grid.cols + this.cursor.col];
			this.events.selectQuery(q >= 0 ? q : grid.rowStart + this.cursor.row * grid.block);
		}
	}

	private onKey(e: KeyboardEvent): void {
		const grid = this.grid;
		if (!grid) {
			return;
		}
		const cur = this.cursor ?? { row: 0, col: 0 };
		let { row, col } = cur;
		switch (e.key) {
			case 'ArrowUp':
				row--;
				break;
			case 'ArrowDown':
				row++;
				break;
			case 'ArrowLeft':
				col--;
				break;
			case 'ArrowRight':
				col++;
				break;
			case 'PageUp':
				row -= 10;
				break;
			case 'PageDown':
				row += 10;
				break;
			case 'Home':
				col = 0;
				break;
			case 'End':
				col = grid.cols - 1;
				break;
			case 'Enter':
			case ' ':
				e.preventDefault();
				this.pick();
				return;
			default:
				return;
		}
		e.preventDefault();
		this.moveTo({ row: clampIndex(row, grid.rows), col: clampIndex(col, grid.cols) });
	}
}

function clampIndex(value: number, length: number): number {
	return Math.max(0, Math.min(length - 1, value));
}
