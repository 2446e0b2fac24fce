//! Assembles each SQL module from `sql/<module>/order.txt` into one script in OUT_DIR, so the
//! binary embeds exactly the files the order lists, in that order.
use std::{env, fs, path::Path};

const MODULES: &[&str] = &["pgq", "pgq_coop", "pgq_ext"];

fn main() {
    let out = env::var("OUT_DIR").expect("OUT_DIR");
    println!("cargo:rerun-if-changed=sql");
    for module in MODULES {
        let dir = Path::new("sql").join(module);
        let order = dir.join("order.txt");
        let list = fs::read_to_string(&order).unwrap_or_else(|e| panic!("reading {}: {e}", order.display()));
        let mut script = String::new();
        for name in list.lines().map(str::trim) {
            if name.is_empty() || name.starts_with('#') {
                continue;
            }
            let path = dir.join(name);
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            script.push_str(&format!("-- file: {module}/{name}\n"));
            script.push_str(&text);
            if !text.ends_with('\n') {
                script.push('\n');
            }
        }
        fs::write(Path::new(&out).join(format!("{module}.sql")), script).expect("write sql");
    }
}
