//! `weir cancel <JOB_ID> [-s [DIR]]`: cancels a job through its REST API (`PATCH /jobs/:id`), or
//! takes a savepoint and then cancels it (`POST /jobs/:id/savepoints` with `cancel-job`), and
//! waits until the job ended.

use super::control::{JobEnd, connect, explain, target_directory, wait_for_end, wait_for_savepoint};
use super::print_stdout;

/// Cancels `job_id`; with `savepoint` (`Some(dir)`), after a savepoint into `dir` or the default.
pub fn execute(jobmanager: &str, job_id: &str, savepoint: Option<Option<String>>) -> anyhow::Result<()> {
    let rest = connect(jobmanager)?;
    let mut text = String::new();
    match savepoint {
        None => rest
            .cancel(job_id)
            .map_err(|e| explain(e, jobmanager, || format!("cancelling job {job_id} was refused")))?,
        Some(target) => {
            let target = target_directory(target.as_deref())?;
            let request = rest.trigger_savepoint(job_id, target.as_deref(), true).map_err(|e| {
                explain(e, jobmanager, || format!("the savepoint before cancelling job {job_id} was refused"))
            })?;
            let location = wait_for_savepoint(&rest, job_id, &request)?;
            text.push_str(&format!("Savepoint completed. Path: {location}\n"));
        }
    }
    match wait_for_end(&rest, job_id)? {
        JobEnd::Status(status) if status == "CANCELED" => text.push_str(&format!("Cancelled job {job_id}.\n")),
        JobEnd::Status(status) => {
            text.push_str(&format!("Job {job_id} ended as {status} before the cancel took effect.\n"))
        }
        JobEnd::ServerGone => text.push_str(&format!("Cancelled job {job_id} (its weir run has exited).\n")),
    }
    print_stdout(&text)
}
