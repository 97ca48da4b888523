fn mem(label: &str) {
    let s = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap();
    let pick: Vec<&str> = s.lines().filter(|l| l.starts_with("Rss") || l.starts_with("Anonymous") || l.starts_with("Private_Clean")|| l.starts_with("Shared_Clean")).collect();
    let hwm = std::fs::read_to_string("/proc/self/status").unwrap().lines().find(|l| l.starts_with("VmHWM")).unwrap().to_string();
    eprintln!("{label}: {} | {hwm}", pick.join(" ").split_whitespace().collect::<Vec<_>>().join(" "));
}
fn main() {
    vigil::secrets::scan::configure_libgit2();
    let path = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    mem("start");
    let tl = vigil::timeline::read_with(&path, false).unwrap();
    mem("read");
    let ids: Vec<String> = tl.commits.iter().map(|c| c.id.clone()).collect();
    let d = vigil::timeline::read_dangling(&path, &ids).unwrap();
    drop(ids);
    mem("dangling");
    let mut tl = tl; tl.add_commits(d);
    let s = vigil::timeline::signals::Scoring::default();
    tl.rescore(&s, &s.path_rules().unwrap());
    mem("rescore");
}
