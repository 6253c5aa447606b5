//! Graceful shutdown of the real binary: on SIGTERM, requests already in
//! flight are answered in full (no connection reset), then the process exits
//! cleanly and stops listening.

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::process::{http, read_reply, send, sign_up, ServerProcess};
use common::{TestDb, PASSWORD};

const IN_FLIGHT: usize = 12;

#[test]
fn sigterm_finishes_requests_in_flight_then_exits() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create());
    let mut server = ServerProcess::start(&db);
    let port = server.port;
    sign_up(port, "term@example.com");

    // Sign-ins are slow on purpose (argon2, a few at a time): a dozen of them
    // keep the server busy for a while.
    let sign_in = format!(r#"{{"email":"term@example.com","password":"{PASSWORD}"}}"#);
    let mut pending = Vec::new();
    for _ in 0..IN_FLIGHT {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        send(&mut stream, "POST", "/api/auth/sign-in/email", &sign_in).unwrap();
        pending.push(stream);
    }
    // Connections are accepted in order: once a later one is answered, the
    // server has taken all the sign-ins above, which are now in flight.
    assert_eq!(http(port, "GET", "/api/health", "").unwrap().0, 200);
    server.terminate();

    let answers: Vec<_> = pending.into_iter().map(read_reply).collect();
    let status = server.exited_within(Duration::from_secs(15)).expect("the server exits after SIGTERM");

    let ok = answers.iter().filter(|a| matches!(a, Ok((200, body)) if body.contains("\"token\""))).count();
    println!("SIGTERM with {IN_FLIGHT} sign-ins in flight: {ok} answered 200 in full; exit {status}");
    assert_eq!(ok, IN_FLIGHT, "every request in flight is answered: {answers:?}");
    assert!(status.success(), "clean exit, got {status}");
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "no longer listening");
}
