// Connects with the official socket.io-client and reports, one JSON object per line:
// the refusal of a bad token, the connection (after a sync ack), and the first event.
import { io } from "socket.io-client";

const [url, token] = process.argv.slice(2);
const report = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const deadline = setTimeout(() => {
  report({ error: "timeout" });
  process.exit(2);
}, 20000);

const options = { transports: ["websocket"], reconnection: false };
const bad = io(url, { ...options, auth: { token: "not-a-token" } });
bad.on("connect_error", (err) => {
  report({ refused: err.message });
  bad.close();
  const socket = io(url, { ...options, auth: { token } });
  socket.on("connect_error", (error) => {
    report({ error: error.message });
    process.exit(1);
  });
  socket.on("connect", async () => {
    const page = await socket.timeout(5000).emitWithAck("sync", { since: 0 });
    report({ connected: true, seq: page.seq });
  });
  socket.on("resource.created", (event) => {
    report({ event });
    socket.close();
    clearTimeout(deadline);
    process.exit(0);
  });
});
