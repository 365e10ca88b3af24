import * as assert from 'assert';
import { topKEntropy } from '../../server/src/remoteGeneration';

describe('entropy estimated from a server\'s top alternatives', () => {
	it('is the exact entropy when the alternatives hold all the probability', () => {
		assert.ok(Math.abs(topKEntropy([{ prob: 0.5 }, { prob: 0.5 }]) - Math.log(2)) < 1e-12);
		assert.strictEqual(topKEntropy([{ prob: 1 }]), 0);
	});

	it('counts the probability the alternatives leave as one more outcome: a lower bound', () => {
		const top = [{ prob: 0.4 }, { prob: 0.2 }];
		const estimate = topKEntropy(top);
		assert.ok(Math.abs(estimate - -(0.4 * Math.log(0.4) + 0.2 * Math.log(0.2) + 0.4 * Math.log(0.4))) < 1e-12);
		// The same two, with the remaining 0.4 spread over four tokens, has more entropy.
		const spread = -(0.4 * Math.log(0.4) + 0.2 * Math.log(0.2) + 4 * 0.1 * Math.log(0.1));
		assert.ok(estimate < spread);
	});
});
