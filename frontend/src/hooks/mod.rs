//! Hooks: where the SPA acts (pages only render). This file only declares
//! the modules.

pub(crate) mod api;
pub(crate) mod filter;
pub(crate) mod live;
pub(crate) mod redirect;
pub(crate) mod submit;
pub(crate) mod tabs;
pub(crate) mod task_actions;
pub(crate) mod title;
