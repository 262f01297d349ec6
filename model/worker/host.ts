// The worker side of a worker-hosted detector: loads one model with the Node runtime and answers score requests
// in order. Inference in onnxruntime-node runs on the calling thread, so hosting it here keeps the API's event
// loop free while long documents are scored.
import { parentPort, workerData } from 'node:worker_threads';
import { loadNodeDetector } from '../node.ts';
import type { DetectorLoadOptions } from '../index.ts';
import type { Detector } from '../types.ts';
import { toWire, type HostMessage, type HostRequest } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('model/worker/host.ts runs inside a worker thread');
const post = (m: HostMessage) => port.postMessage(m);

let detector: Detector;
try {
  detector = await loadNodeDetector(workerData as DetectorLoadOptions);
  post({
    type: 'ready',
    info: detector.info,
    thresholds: detector.thresholds,
    defaultThreshold: detector.defaultThreshold,
    maxTokens: detector.maxTokens,
  });
} catch (err) {
  post({ type: 'load-failed', error: toWire(err) });
  port.close();
}

port.on('message', (m: HostRequest) => {
  if (m.type === 'score') {
    detector.scoreMany(m.inputs, m.options).then(
      (results) => post({ type: 'scored', id: m.id, results }),
      (err: unknown) => post({ type: 'failed', id: m.id, error: toWire(err) }),
    );
  } else if (m.type === 'dispose') {
    void detector.dispose().finally(() => {
      post({ type: 'disposed' });
      port.close();
    });
  }
});
