//! Synthetic components for the upload-limit suites, built with
//! `wasm-encoder`: what an attacker would upload.
#![allow(dead_code)]

use wasm_encoder::{
    CodeSection, Component, Function, FunctionSection, Instruction, Module, ModuleSection,
    TypeSection,
};

/// A core module defining `n` empty functions of type `[] -> []`.
pub fn module_with_functions(n: u32) -> Module {
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut body = Function::new([]);
    body.instruction(&Instruction::End);
    for _ in 0..n {
        funcs.function(0);
        code.function(&body);
    }
    let mut module = Module::new();
    module.section(&types).section(&funcs).section(&code);
    module
}

/// A component nesting `modules` core modules of `per_module` empty
/// functions each (the attack: 600,000 of them in 4.3 MB is one
/// module of 600,000). Valid: wasmtime compiles it, slowly.
pub fn component_with_functions(modules: u32, per_module: u32) -> Vec<u8> {
    let module = module_with_functions(per_module);
    let mut c = Component::new();
    for _ in 0..modules {
        c.section(&ModuleSection(&module));
    }
    c.finish()
}

/// This process's children, zombies included (Linux `/proc`), as
/// `pid state cmdline`: a check worker left running or unreaped shows here.
pub fn children() -> Vec<String> {
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // `pid (comm) state ppid ...`; comm may hold spaces: split after ')'.
        let mut rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .unwrap_or("")
            .split_whitespace();
        let state = rest.next().unwrap_or("?").to_string();
        let ppid = rest.next().and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(me) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            found.push(format!("{pid} {state} {cmdline}"));
        }
    }
    found
}
