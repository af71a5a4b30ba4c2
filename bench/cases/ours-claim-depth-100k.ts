import { claimDepthCase } from '../lib/claim-depth.js';

export default claimDepthCase(
  'ours-claim-depth-100k',
  { depth: 100_000, claims: 2_000 },
  { depth: 100_000, claims: 300 },
  {
    anchor: 'ours-claim-depth-1k',
    targets: [
      {
        label: 'claim at depth 100,000 ≤ 1.5× claim at depth 1,000 (p50 latency)',
        metric: { note: 'p50Ms' },
        anchor: 'ours-claim-depth-1k',
        max: 1.5,
      },
    ],
  },
);
