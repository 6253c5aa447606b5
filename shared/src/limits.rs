//! Validation limits both sides enforce.

/// Task title length in characters, after trimming.
pub const TITLE_MAX_CHARS: usize = 200;
/// Task description length in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
/// Password length in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Page size bounds for listing tasks.
pub const LIST_LIMIT_DEFAULT: u32 = 100;
pub const LIST_LIMIT_MAX: u32 = 500;
