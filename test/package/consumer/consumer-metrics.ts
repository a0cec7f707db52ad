// Type-level consumer of the metrics feeds with prom-client installed: the `registry` option is
// prom-client's own Registry type. Compiled with strict TypeScript against the tarball's .d.ts.
import { Registry } from 'prom-client';
import { DEFAULT_SECONDS_BUCKETS, type PromClientModule } from 'graylane/observe';
import { grayHttpMetricsMiddleware, type GrayHttpMetricsOptions } from 'graylane/observe/http';
import * as prom from 'prom-client';

const options: GrayHttpMetricsOptions = { registry: new Registry(), buckets: DEFAULT_SECONDS_BUCKETS, promClient: prom satisfies PromClientModule };
const metrics = grayHttpMetricsMiddleware(options);
// @ts-expect-error a registry is a prom-client Registry (proves prom-client's types resolved, not `any`)
grayHttpMetricsMiddleware({ registry: {} });
export { metrics };
