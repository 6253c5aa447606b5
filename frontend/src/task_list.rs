//! The loaded tasks and every change to them: `TaskList` + `TaskAction` +
//! `impl Reducible` (Yew's `function_todomvc` shape). Pure: no HTTP, no
//! browser, so the optimistic changes and their roll-back test directly.

use std::rc::Rc;

use shared::task::StatusFilter;
use shared::Task;
use yew::Reducible;

use crate::ux::Ux;

/// The loaded tasks, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TaskList {
    pub(crate) tasks: Vec<Task>,
    /// How many the server has in all (more may be loaded with "Load more").
    pub(crate) total: usize,
    pub(crate) loading: bool,
    /// The last load failed: `Some(reason)` to show with Retry, `Some(None)`
    /// when a toast already said why.
    pub(crate) load_error: Option<Option<String>>,
}

#[derive(Debug)]
pub(crate) enum TaskAction {
    Loading,
    Loaded {
        tasks: Vec<Task>,
        total: usize,
        append: bool,
    },
    LoadFailed(Ux),
    /// Put `task` in the list: over the task with the same id, else where its
    /// id sorts (newest first, below unsaved placeholders).
    Upsert(Task),
    /// Replace the task with id `.0` (a placeholder) by `.1` — or just drop
    /// the placeholder when `.1` is already listed (its live event came
    /// first): never shown twice. With the placeholder gone (a reload came
    /// in between), `.1` is put in like `Upsert`.
    Swap(i64, Task),
    /// The server's answer to a change made here: shown where the task is
    /// listed, unless the listed copy is newer (a live event from another
    /// device came first); a task deleted meanwhile stays deleted.
    Saved(Task),
    /// A task created elsewhere, or here (its live event can beat the answer
    /// to the create): over the listed task with its id, else over a
    /// placeholder with the same title and details, else put in.
    Arrived(Task),
    /// A task changed elsewhere (a live event): replaced where it is listed;
    /// one not listed is on a page not loaded yet, or deleted here while the
    /// delete is on its way, and stays unlisted.
    Update(Task),
    Remove(i64),
}

impl TaskAction {
    /// The server refused a change to `previous` (the task as it was before
    /// it was shown changed): put it back, or drop it if the server says it
    /// is gone.
    pub(crate) fn undo(previous: Task, why: &Ux) -> TaskAction {
        match why {
            Ux::NotFound => TaskAction::Remove(previous.id),
            Ux::SessionExpired | Ux::Forbidden | Ux::Inline(_) => TaskAction::Upsert(previous),
        }
    }
}

impl Reducible for TaskList {
    type Action = TaskAction;

    fn reduce(self: Rc<Self>, action: TaskAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            TaskAction::Loading => {
                next.loading = true;
                next.load_error = None;
            }
            TaskAction::Loaded { tasks, total, append } => {
                if append {
                    next.tasks.extend(tasks.into_iter().filter(|t| !self.tasks.iter().any(|o| o.id == t.id)));
                } else {
                    // Unsaved tasks stay on top until their answers come.
                    let placeholders = self.tasks.iter().filter(|t| t.id < 0).cloned();
                    next.tasks = placeholders.chain(tasks).collect();
                }
                next.total = total;
                next.loading = false;
            }
            TaskAction::LoadFailed(why) => {
                next.loading = false;
                next.load_error = Some(match why {
                    Ux::Inline(message) => Some(message),
                    Ux::SessionExpired | Ux::Forbidden | Ux::NotFound => None,
                });
            }
            TaskAction::Upsert(task) => match next.tasks.iter_mut().find(|t| t.id == task.id) {
                Some(existing) => *existing = task,
                None => {
                    // Placeholders (negative ids) stay on top; saved tasks
                    // are newest first, and ids grow with creation.
                    let at = next.tasks.iter().position(|t| t.id >= 0 && t.id < task.id).unwrap_or(next.tasks.len());
                    let at = if task.id < 0 { 0 } else { at };
                    next.tasks.insert(at, task);
                    next.total += 1;
                }
            },
            TaskAction::Swap(placeholder, task) => {
                if next.tasks.iter().any(|t| t.id == task.id) {
                    return self.reduce(TaskAction::Remove(placeholder));
                }
                match next.tasks.iter_mut().find(|t| t.id == placeholder) {
                    Some(existing) => *existing = task,
                    None => return self.reduce(TaskAction::Upsert(task)),
                }
            }
            TaskAction::Saved(task) => match next.tasks.iter_mut().find(|t| t.id == task.id) {
                Some(existing) if existing.updated_at <= task.updated_at => *existing = task,
                _ => return self,
            },
            TaskAction::Arrived(task) => {
                let listed = next.tasks.iter().position(|t| t.id == task.id).or_else(|| {
                    next.tasks
                        .iter()
                        .position(|t| t.id < 0 && t.title == task.title && t.description == task.description)
                });
                match listed {
                    Some(at) => next.tasks[at] = task,
                    None => return self.reduce(TaskAction::Upsert(task)),
                }
            }
            TaskAction::Update(task) => match next.tasks.iter_mut().find(|t| t.id == task.id) {
                Some(existing) => *existing = task,
                None => return self,
            },
            TaskAction::Remove(id) => {
                let before = next.tasks.len();
                next.tasks.retain(|t| t.id != id);
                next.total = next.total.saturating_sub(before - next.tasks.len());
            }
        }
        Rc::new(next)
    }
}

impl TaskList {
    /// The tasks `filter` shows, in list order.
    pub(crate) fn shown(&self, filter: StatusFilter) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(move |t| filter.matches(t.completed))
    }

    pub(crate) fn completed(&self) -> usize {
        self.shown(StatusFilter::Completed).count()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    pub(crate) fn task(id: i64, completed: bool) -> Task {
        Task {
            id,
            user_id: "u".into(),
            title: format!("t{id}"),
            description: String::new(),
            completed,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    pub(crate) fn loaded(tasks: Vec<Task>) -> Rc<TaskList> {
        let total = tasks.len();
        Rc::new(TaskList::default()).reduce(TaskAction::Loaded { tasks, total, append: false })
    }

    fn ids(list: &TaskList) -> Vec<i64> {
        list.tasks.iter().map(|t| t.id).collect()
    }

    #[test]
    fn a_placeholder_goes_on_top_and_is_swapped_for_the_saved_task() {
        let list = loaded(vec![task(2, false), task(1, true)]);
        let list = list.reduce(TaskAction::Upsert(task(-1, false)));
        assert_eq!((ids(&list), list.total), (vec![-1, 2, 1], 3), "placeholder on top");
        let list = list.reduce(TaskAction::Swap(-1, task(3, false)));
        assert_eq!((ids(&list), list.total), (vec![3, 2, 1], 3));
    }

    fn placeholder(id: i64, like: &Task) -> Task {
        Task { id, ..like.clone() }
    }

    #[test]
    fn a_live_event_that_beats_the_answer_never_lists_the_task_twice() {
        let saved = task(3, false);
        let list = loaded(vec![task(2, false)]).reduce(TaskAction::Upsert(placeholder(-1, &saved)));
        let list = list.reduce(TaskAction::Arrived(saved.clone()));
        assert_eq!((ids(&list), list.total), (vec![3, 2], 2), "the event takes the placeholder's place");
        let list = list.reduce(TaskAction::Swap(-1, saved.clone()));
        assert_eq!((ids(&list), list.total), (vec![3, 2], 2), "the answer finds it listed");
        let again = list.clone().reduce(TaskAction::Arrived(saved));
        assert_eq!(*again, *list, "a late event changes nothing");
        let elsewhere = list.reduce(TaskAction::Arrived(task(4, false)));
        assert_eq!((ids(&elsewhere), elsewhere.total), (vec![4, 3, 2], 3), "made on another device: put in");
    }

    #[test]
    fn a_reload_keeps_unsaved_tasks_and_their_answers_still_land() {
        let list = loaded(vec![task(2, false)]).reduce(TaskAction::Upsert(task(-1, false)));
        let reloaded = list.reduce(TaskAction::Loaded { tasks: vec![task(2, false)], total: 1, append: false });
        assert_eq!(ids(&reloaded), vec![-1, 2], "the placeholder survives the reload");
        let gone = loaded(vec![task(2, false)]).reduce(TaskAction::Swap(-1, task(3, false)));
        assert_eq!((ids(&gone), gone.total), (vec![3, 2], 2), "no placeholder left: the saved task is put in");
    }

    #[test]
    fn an_answer_older_than_a_live_event_does_not_undo_it() {
        let stamped = |id, completed, at: &str| Task { updated_at: at.into(), ..task(id, completed) };
        let list = loaded(vec![stamped(1, true, "2026-01-01T00:00:02.000Z")]);
        let late = list.clone().reduce(TaskAction::Saved(stamped(1, false, "2026-01-01T00:00:01.000Z")));
        assert!(Rc::ptr_eq(&late, &list), "the newer copy from another device stays");
        let newer = list.reduce(TaskAction::Saved(stamped(1, false, "2026-01-01T00:00:03.000Z")));
        assert!(!newer.tasks[0].completed);
        let deleted = loaded(vec![]).reduce(TaskAction::Saved(task(1, true)));
        assert!(deleted.tasks.is_empty(), "deleted elsewhere meanwhile: not revived");
    }

    #[test]
    fn a_live_update_replaces_a_listed_task_and_never_revives_one() {
        let list = loaded(vec![task(2, false), task(1, false)]);
        let toggled = list.clone().reduce(TaskAction::Update(task(1, true)));
        assert_eq!((ids(&toggled), toggled.total, toggled.tasks[1].completed), (vec![2, 1], 2, true));
        let deleted_here = list.reduce(TaskAction::Remove(1));
        let after = deleted_here.clone().reduce(TaskAction::Update(task(1, true)));
        assert!(Rc::ptr_eq(&after, &deleted_here), "not listed: nothing changes (no re-render)");
    }

    #[test]
    fn a_removed_task_put_back_returns_to_its_place() {
        let list = loaded(vec![task(-5, false), task(3, false), task(2, true), task(1, false)]);
        let removed = list.clone().reduce(TaskAction::Remove(2));
        assert_eq!((ids(&removed), removed.total), (vec![-5, 3, 1], 3));
        let restored = removed.reduce(TaskAction::undo(task(2, true), &Ux::Forbidden));
        assert_eq!(*restored, *list, "back where it was, counted again");
    }

    #[test]
    fn a_refused_change_is_undone_and_a_gone_task_dropped() {
        let list = loaded(vec![task(2, false), task(1, false)]);
        let toggled = list.clone().reduce(TaskAction::Upsert(task(1, true)));
        for why in [Ux::SessionExpired, Ux::Forbidden, Ux::Inline("down".into())] {
            assert_eq!(*toggled.clone().reduce(TaskAction::undo(task(1, false), &why)), *list, "{why:?}");
        }
        let gone = toggled.reduce(TaskAction::undo(task(1, false), &Ux::NotFound));
        assert_eq!((ids(&gone), gone.total), (vec![2], 1));
    }

    #[test]
    fn filters_and_counts_follow_the_shared_definition() {
        let list = loaded(vec![task(3, false), task(2, true), task(1, false)]);
        let shown = |f| list.shown(f).map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(shown(StatusFilter::All), [3, 2, 1]);
        assert_eq!(shown(StatusFilter::Pending), [3, 1]);
        assert_eq!(shown(StatusFilter::Completed), [2]);
        assert_eq!(list.completed(), 1);
    }

    #[test]
    fn a_failed_load_keeps_the_reason_only_when_no_toast_said_it() {
        let list = Rc::new(TaskList::default()).reduce(TaskAction::Loading);
        assert!(list.loading);
        let down = list.clone().reduce(TaskAction::LoadFailed(Ux::Inline("down".into())));
        assert_eq!((down.loading, down.load_error.clone()), (false, Some(Some("down".into()))));
        let forbidden = list.reduce(TaskAction::LoadFailed(Ux::Forbidden));
        assert_eq!(forbidden.load_error, Some(None));
        assert_eq!(forbidden.reduce(TaskAction::Loading).load_error, None, "Retry clears it");
    }
}
