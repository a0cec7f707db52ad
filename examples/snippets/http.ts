// HTTP edge: decide the stage once (untrusted clients, a QA token, coloring rules), then every
// gRPC call made while handling the request carries it.
import http from 'node:http';
import { createColoringRules, getReleaseStage } from 'graylane';
import { grayHttpHandler } from 'graylane/http';

const rules = createColoringRules([
  { name: 'qa team', stage: 'canary', match: { header: 'x-user-group', equals: 'qa' } },
  { name: '5% of users', stage: 'canary', rollout: { percent: 5, header: 'x-user-id' } },
]);
const handler = grayHttpHandler((_req, res) => res.end(`stage: ${getReleaseStage()}\n`), {
  rules,
  // A client-sent x-release-stage counts only with this secret; the token header is never forwarded.
  trust: { tokenHeader: 'x-gray-token', tokens: [process.env.GRAY_TOKEN ?? 'change-me'] },
});
http.createServer(handler).listen(8080, '127.0.0.1');
