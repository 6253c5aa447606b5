//! Task DTOs (snake_case, as in the API this project replaces).

use serde::{Deserialize, Serialize};

/// A task as the API returns it. Timestamps are RFC 3339 UTC strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: String,
    pub completed: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/<user_id>/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
}

/// `PUT /api/<user_id>/tasks/<id>`: every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplaceTask {
    pub title: String,
    pub description: String,
    pub completed: bool,
}

/// `PATCH /api/<user_id>/tasks/<id>`: any subset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatchTask {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    All,
    Pending,
    Completed,
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(Self::All),
            "pending" => Some(Self::Pending),
            "completed" => Some(Self::Completed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Pending => "pending",
            Self::Completed => "completed",
        }
    }

    /// The `completed` value this filter selects; `None` selects every task.
    /// The one definition of the filter: the server's SQL binds it, the SPA's
    /// list filters with [`StatusFilter::matches`].
    pub fn completed(self) -> Option<bool> {
        match self {
            Self::All => None,
            Self::Pending => Some(false),
            Self::Completed => Some(true),
        }
    }

    /// Whether a task with this `completed` value is shown by the filter.
    pub fn matches(self, completed: bool) -> bool {
        self.completed().is_none_or(|wanted| wanted == completed)
    }
}

/// The title after trimming, if it is 1..=200 characters.
pub fn validate_title(title: &str) -> Result<String, String> {
    let t = title.trim();
    let n = t.chars().count();
    if n == 0 {
        Err("title must not be empty".into())
    } else if n > crate::limits::TITLE_MAX_CHARS {
        Err(format!("title must be at most {} characters", crate::limits::TITLE_MAX_CHARS))
    } else {
        Ok(t.to_owned())
    }
}

/// The description if it is at most 2000 characters.
pub fn validate_description(description: &str) -> Result<String, String> {
    if description.chars().count() > crate::limits::DESCRIPTION_MAX_CHARS {
        Err(format!("description must be at most {} characters", crate::limits::DESCRIPTION_MAX_CHARS))
    } else {
        Ok(description.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded_in_characters() {
        assert_eq!(validate_title("  Buy milk ").unwrap(), "Buy milk");
        assert!(validate_title("   ").unwrap_err().contains("title"));
        assert!(validate_title(&"é".repeat(200)).is_ok());
        assert!(validate_title(&"x".repeat(201)).unwrap_err().contains("200"));
        assert!(validate_description(&"x".repeat(2001)).unwrap_err().contains("description"));
    }

    #[test]
    fn filters_select_by_completed() {
        use StatusFilter::*;
        assert_eq!([All, Pending, Completed].map(StatusFilter::completed), [None, Some(false), Some(true)]);
        assert!(All.matches(true) && All.matches(false));
        assert!(Pending.matches(false) && !Pending.matches(true));
        assert!(Completed.matches(true) && !Completed.matches(false));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(serde_json::from_str::<CreateTask>(r#"{"title":"a","owner":"x"}"#).is_err());
        assert!(serde_json::from_str::<PatchTask>(r#"{"completed":true}"#).is_ok());
    }
}
