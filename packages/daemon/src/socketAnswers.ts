import { connect } from 'node:net';

/** Whether something accepts a connection on the unix socket `sock`: a daemon serves there. */
export function socketAnswers(sock: string): Promise<boolean> {
  return new Promise((res) => {
    const c = connect(sock);
    c.once('connect', () => (c.destroy(), res(true)));
    c.once('error', () => res(false));
  });
}
