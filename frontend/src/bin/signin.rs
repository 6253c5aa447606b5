//! The sign-in bundle (`signin.html`): the signed-out pages only.

fn main() {
    frontend::start_sign_in();
}
