import { claimDepthCase } from '../lib/claim-depth.js';

export default claimDepthCase('ours-claim-depth-1k', { depth: 1_000, claims: 2_000 }, { depth: 1_000, claims: 300 }, {});
