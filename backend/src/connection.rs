//! Whether the client of a request is still connected, so the password
//! hashing queue can drop work nobody will read (DESIGN §10).
//!
//! Rocket 0.5 runs each handler in a task of its own and has no signal for a
//! client that hung up: hyper closes such a connection at once, but the
//! handler runs on. What the kernel knows is exact, though: on Linux the
//! connection is in `/proc/net/tcp{,6}` as ESTABLISHED while the client is
//! there, and gone (or CLOSE_WAIT) once it left. Elsewhere every client
//! counts as connected.

use std::net::{IpAddr, SocketAddr};

use rocket::Request;

/// Managed by [`crate::rocket`] (the served binary) only: its requests
/// arrive on real sockets. Rocket's local client (tests) has none to look up.
pub struct OverTcp;

/// A request's TCP connection, as the kernel lists it.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// Rocket's listening port (0: any).
    local_port: u16,
    remote: SocketAddr,
}

impl Peer {
    /// The request's connection, when it came over TCP.
    pub fn of(req: &Request<'_>) -> Option<Self> {
        req.rocket().state::<OverTcp>()?;
        Some(Self { local_port: req.rocket().config().port, remote: req.remote()? })
    }

    #[cfg(test)]
    pub fn new(local_port: u16, remote: SocketAddr) -> Self {
        Self { local_port, remote }
    }

    /// False once the client has closed the connection (or it is gone).
    pub fn connected(&self) -> bool {
        if !cfg!(target_os = "linux") {
            return true;
        }
        let mut readable = false;
        for (table, address) in self.spellings() {
            let Ok(text) = std::fs::read_to_string(table) else { continue };
            readable = true;
            if text.lines().skip(1).any(|line| self.is_established(line, &address)) {
                return true;
            }
        }
        // Without the tables (not Linux after all, a sandbox) assume the best.
        !readable
    }

    /// The tables to look in and how the remote address is written there.
    fn spellings(&self) -> Vec<(&'static str, String)> {
        let v4 = |ip: std::net::Ipv4Addr| ("/proc/net/tcp", hex_words(&ip.octets()));
        let v6 = |ip: std::net::Ipv6Addr| ("/proc/net/tcp6", hex_words(&ip.octets()));
        match self.remote.ip() {
            IpAddr::V4(ip) => vec![v4(ip), v6(ip.to_ipv6_mapped())],
            IpAddr::V6(ip) => {
                let mut all = vec![v6(ip)];
                all.extend(ip.to_ipv4_mapped().map(v4));
                all
            }
        }
    }

    /// `sl local rem st …`: this connection, in state 01 (ESTABLISHED).
    fn is_established(&self, line: &str, address: &str) -> bool {
        let mut fields = line.split_whitespace().skip(1);
        let (Some(local), Some(remote), Some(state)) = (fields.next(), fields.next(), fields.next()) else {
            return false;
        };
        let local_ok = self.local_port == 0 || local.ends_with(&format!(":{:04X}", self.local_port));
        local_ok && state == "01" && remote == format!("{address}:{:04X}", self.remote.port())
    }
}

/// An address as the kernel prints it: each 32-bit word in host byte order,
/// as eight upper-case hex digits.
fn hex_words(octets: &[u8]) -> String {
    octets.chunks(4).map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    fn peer_of(server_side: &TcpStream, listener: &TcpListener) -> Peer {
        Peer { local_port: listener.local_addr().unwrap().port(), remote: server_side.peer_addr().unwrap() }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_connection_counts_until_its_client_closes_it() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server_side, _) = listener.accept().unwrap();
        let peer = peer_of(&server_side, &listener);
        assert!(peer.connected(), "open: {peer:?}");

        client.write_all(b"bye").unwrap();
        drop(client);
        let mut buf = Vec::new();
        server_side.read_to_end(&mut buf).unwrap(); // the client's FIN has arrived
        assert!(!peer.connected(), "the client closed it (CLOSE_WAIT here)");
        drop(server_side);
        assert!(!peer.connected(), "gone");
    }

    #[test]
    fn addresses_are_spelled_like_the_kernel_does() {
        let words = hex_words(&[127, 0, 0, 1]);
        assert_eq!(words, format!("{:08X}", u32::from_ne_bytes([127, 0, 0, 1])));
        if cfg!(target_endian = "little") {
            assert_eq!(words, "0100007F");
        }
        assert_eq!(hex_words(&[0; 16]).len(), 32);
    }
}
