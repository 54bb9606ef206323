// A real SMTP server (smtp-server) for the end-to-end test, run inside a lab namespace: listens on
// 127.0.0.1:PORT and writes every message it accepts to DIR/<n>.eml. Stops after 10 minutes at the latest.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const [port, dir] = process.argv.slice(2);
let n = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const rcpt = session.envelope.rcptTo.map((r) => r.address).join(',');
      writeFileSync(join(dir, `${++n}.eml`), Buffer.concat([Buffer.from(`X-Envelope-To: ${rcpt}\r\n`), ...chunks]));
      cb();
    });
  },
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
setTimeout(() => process.exit(0), 600_000).unref();
