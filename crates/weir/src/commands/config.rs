//! `weir config`: lists the configuration keys the runtime reads, with defaults and meaning,
//! from `weir_runtime::config::describe_options()`.

use super::print_stdout;
use weir_runtime::config::describe_options;

/// Prints every configuration key.
pub fn execute() -> anyhow::Result<()> {
    print_stdout(&listing())
}

/// The keys, one block each: key and default, then the description.
pub fn listing() -> String {
    let mut text =
        String::from("Configuration keys (set with `-D key=value` or in a YAML file given with `--config FILE`):\n\n");
    for (key, default, description) in describe_options() {
        text.push_str(&format!("  {key}  (default: {default})\n      {description}\n"));
    }
    text.push_str("\n`weir run` sets weir.progress to true unless the configuration says otherwise.\n");
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_is_listed() {
        let listing = super::listing();
        for key in ["parallelism.default", "weir.progress", "execution.buffer-timeout.interval"] {
            assert!(listing.contains(key), "{key} missing from:\n{listing}");
        }
    }
}
