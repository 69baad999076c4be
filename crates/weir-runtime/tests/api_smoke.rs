use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

#[test]
fn map_filter_collect() {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(2);
    let sink = CollectSink::new();
    env.from_collection((0u64..1000).collect()).map(|x| x * 2).filter(|x| x % 3 == 0).sink_to(sink.clone());
    let result = env.execute("smoke").expect("job runs");
    let want: Vec<u64> = (0u64..1000).map(|x| x * 2).filter(|x| x % 3 == 0).collect();
    assert_eq!(sink.sorted_values(), want);
    println!("{result}");
}
