use clap::Parser;

fn main() {
    let cli = vigil::cli::Cli::parse();
    let code = vigil::commands::run(cli);
    std::process::exit(code);
}
