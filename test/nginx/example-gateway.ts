// The shipped example (nginx/example/nginx.conf) in a real nginx with the built bundle, its identity and API
// gateways on free ports of 127.0.0.1, each upstream an echo server named after its region and service.
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import type { EchoUpstream } from '../../dev/echo-upstream.mjs';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { startNginx } from '../../dev/nginx.mjs';
import type { RunningNginx } from '../../dev/nginx.mjs';
import { freePort } from '../../dev/ports.mjs';

export interface ExampleGateway {
  nginx: RunningNginx;
  upstreams: EchoUpstream[];
  /** http://127.0.0.1:port of each gateway */
  identity: string;
  api: string;
  stop(): Promise<void>;
}

/** `http`: more configuration for http {} (settings, for example). */
export async function startExampleGateway(http?: string): Promise<ExampleGateway> {
  const upstreams: EchoUpstream[] = [];
  const ports: Record<number, number> = {};
  for (const [key, examplePort] of Object.entries(EXAMPLE_PORTS.upstreams)) {
    const [region, service] = key.split('/');
    const u = await startEchoUpstream({ region, service });
    upstreams.push(u);
    ports[examplePort] = u.port;
  }
  const listen = [
    { host: '127.0.0.1', port: await freePort() },
    { host: '127.0.0.1', port: await freePort() },
  ];
  ports[EXAMPLE_PORTS.identity] = listen[0].port;
  ports[EXAMPLE_PORTS.api] = listen[1].port;
  let nginx: RunningNginx;
  try {
    nginx = await startNginx(renderExample({ ports, errorLog: 'info', http }), { listen });
  } catch (e) {
    for (const u of upstreams) await u.close();
    throw e;
  }
  return {
    nginx,
    upstreams,
    identity: 'http://127.0.0.1:' + listen[0].port,
    api: 'http://127.0.0.1:' + listen[1].port,
    async stop() {
      await nginx.stop();
      for (const u of upstreams) await u.close();
    },
  };
}
