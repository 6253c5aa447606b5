"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1.

Usage: python catcher.py PORT DIR   (PORT 0 picks a free one)

Prints "listening <port>" once it accepts connections. Every message it
receives is parsed with Python's email package and saved in DIR as one JSON
file (from, to, subject, content type, decoded text and HTML parts), written
to a temporary name first so a reader never sees half a file.
"""

import asyncio
import email
import json
import os
import sys
import time
from email import policy

from aiosmtpd.smtp import SMTP


class Save:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        self.count += 1
        name = f"{time.time_ns()}-{self.count}.json"
        tmp = os.path.join(self.out, "." + name)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.out, name))
        return "250 Message accepted for delivery"


async def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    handler = Save(out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="localhost"), "127.0.0.1", port)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
