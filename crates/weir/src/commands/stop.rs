//! `weir stop <JOB_ID> [-p DIR] [-d]`: stops a job with a savepoint through its REST API
//! (`POST /jobs/:id/stop`), waits for the savepoint and for the job's end, and prints the
//! savepoint's path.

use super::control::{JobEnd, connect, explain, target_directory, wait_for_end, wait_for_savepoint};
use super::print_stdout;
use crate::cli::StopArgs;

pub fn execute(args: StopArgs) -> anyhow::Result<()> {
    let rest = connect(&args.jobmanager.jobmanager)?;
    let job_id = &args.job_id;
    let request = rest
        .stop_with_savepoint(job_id, target_directory(args.savepoint_path.as_deref())?.as_deref(), args.drain)
        .map_err(|e| explain(e, rest.address(), || format!("stopping job {job_id} with a savepoint was refused")))?;
    let location = wait_for_savepoint(&rest, job_id, &request)?;
    let mut text = format!("Savepoint completed. Path: {location}\n");
    match wait_for_end(&rest, job_id)? {
        JobEnd::Status(status) => text.push_str(&format!("Job {job_id} is {status}.\n")),
        JobEnd::ServerGone => text.push_str(&format!("Job {job_id} has ended (its weir run has exited).\n")),
    }
    print_stdout(&text)
}
