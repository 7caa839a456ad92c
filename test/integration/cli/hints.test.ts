/**
 * Hints name only options that exist where they are used. Every text a command can print is
 * walked: the literals of its handler and builder (and of the helpers of its module they reach),
 * the literals of cli.ts (any command prints them) and every issue message of src/errors.ts (any
 * command may print one). An option named after `workflow-seeder <command>` (or `a|b`) must be an
 * option of that command; any other option must be one of the printing command's options, or,
 * in cli.ts and in issue messages, an option every command has. The options of each command are
 * read from its `--help`, which is what yargs accepts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { runCli } from "../../support/cli.js";
import {
  collectReachableDeclarations,
  collectSourceLiterals,
  collectTopLevelDeclarations,
  type SourceLiteral,
} from "../../support/source-literals.js";

const ROOT = process.cwd();
const COMMANDS_DIR = join(ROOT, "cli", "commands");

/** The options a `--help` text lists (`--name` at the start of an options line). */
function optionsOfHelp(help: string): Set<string> {
  return new Set([...help.matchAll(/^\s+(?:-\w,\s+)?--([a-z][a-z-]*)/gm)].map((m) => m[1] as string));
}

/** An option named in a text, and the commands it is named for (null: the printing command). */
interface NamedOption {
  option: string;
  commands: string[] | null;
}

/**
 * The options a text names: within `workflow-seeder <command>...` (up to the next backtick, quote
 * or line end; `a|b` for several commands, none for the program itself) they are that command's,
 * elsewhere the printing command's. A word after `workflow-seeder` that is no command is prose
 * ("another workflow-seeder process"). A literal that is only an option name (`"--step"`) is
 * data (an argv check, the option an INVALID_ARGUMENT names as the user typed it), not a hint.
 */
function namedOptions(text: string, commands: ReadonlySet<string>): NamedOption[] {
  if (/^--[a-z][a-z-]*$/.test(text)) return [];
  const found: NamedOption[] = [];
  const qualified = /workflow-seeder((?:\s+[a-z][a-z-]*(?:\|[a-z][a-z-]*)*)?)([^`"\n]*)/g;
  let rest = text;
  for (const m of text.matchAll(qualified)) {
    const named = (m[1] as string).trim() === "" ? [""] : (m[1] as string).trim().split("|");
    if (!named.every((c) => c === "" || commands.has(c))) continue;
    for (const o of (m[2] as string).matchAll(/(?<![\w-])--([a-z][a-z-]*)/g))
      found.push({ option: o[1] as string, commands: named });
    rest = rest.replace(m[0], " ");
  }
  for (const o of rest.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)) found.push({ option: o[1] as string, commands: null });
  return found;
}

/** The command modules' commands: for each, the literals it can print. */
function commandLiterals(): Map<string, SourceLiteral[]> {
  const byCommand = new Map<string, SourceLiteral[]>();
  for (const file of readdirSync(COMMANDS_DIR).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(join(COMMANDS_DIR, file), "utf8");
    const literals = collectSourceLiterals(source);
    const declarations = collectTopLevelDeclarations(source);
    const calls = [...source.matchAll(/\.command\(\s*(?:\n\s*)?["'`]([a-z][a-z-]*)/g)];
    for (const [k, call] of calls.entries()) {
      const start = call.index as number;
      // The call's text runs to the next registration (or the end of the module's declaration).
      const end = calls[k + 1]?.index ?? declarations.find((d) => d.start > start)?.start ?? source.length;
      const reached = collectReachableDeclarations(source, declarations, start, end);
      const inside = (offset: number) =>
        (offset >= start && offset < end) || reached.some((d) => offset >= d.start && offset < d.end);
      byCommand.set(call[1] as string, [
        ...(byCommand.get(call[1] as string) ?? []),
        ...literals.filter((l) => inside(l.offset)),
      ]);
    }
  }
  return byCommand;
}

describe("CLI: hints name only options of the command that prints them", function () {
  this.timeout(120_000);
  const optionsByCommand = new Map<string, Set<string>>();

  before(async () => {
    const root = await runCli(["--help"]);
    optionsByCommand.set("", new Set([...optionsOfHelp(root.stdout + root.stderr), "version"]));
    const commands = [...(root.stdout + root.stderr).matchAll(/^\s+workflow-seeder ([a-z][a-z-]*)/gm)].map(
      (m) => m[1] as string,
    );
    expect(commands).to.include.members(["up", "plan", "status", "down", "baseline", "import", "verify"]);
    const helps = await Promise.all(commands.map((c) => runCli([c, "--help"])));
    commands.forEach((c, k) => {
      const help = helps[k] as { stdout: string; stderr: string };
      optionsByCommand.set(c, optionsOfHelp(help.stdout + help.stderr));
    });
  });

  /** Options every command has. */
  const globalOptions = () =>
    [...(optionsByCommand.get("up") as Set<string>)].filter((o) =>
      [...optionsByCommand.entries()].every(([c, options]) => c === "" || options.has(o)),
    );

  /** The problems of one text printed by `printers` (the commands that may print it). */
  function problemsOf(text: string, printers: readonly string[] | "any"): string[] {
    const problems: string[] = [];
    for (const { option, commands } of namedOptions(text, new Set(optionsByCommand.keys()))) {
      if (commands !== null) {
        for (const command of commands) {
          const options = optionsByCommand.get(command) as Set<string>;
          if (!options.has(option))
            problems.push(`names --${option} for "workflow-seeder ${command}", which has no such option: ${text}`);
        }
      } else if (printers === "any") {
        if (!globalOptions().includes(option))
          problems.push(`names --${option} without its command, and not every command has it: ${text}`);
      } else
        for (const command of printers)
          if (!optionsByCommand.get(command)?.has(option))
            problems.push(`${command} prints --${option}, which it does not have: ${text}`);
    }
    return problems;
  }

  it("the scanner finds the hints it is meant to check", () => {
    const literals = commandLiterals();
    expect([...literals.keys()]).to.include.members(["up", "plan", "down", "baseline", "import", "run", "verify"]);
    const texts = (command: string) => (literals.get(command) ?? []).map((l) => l.text).join("\n");
    expect(texts("down")).to.include("give --to or --step, not both");
    expect(texts("up")).to.include("nothing to do");
    // up --dry-run prints the plan
    expect(texts("up")).to.include("to apply");
    const known = new Set(["up", "plan"]);
    expect(namedOptions("re-run `workflow-seeder up|plan --on-change reapply` or --force", known)).to.deep.equal([
      { option: "on-change", commands: ["up", "plan"] },
      { option: "force", commands: null },
    ]);
    expect(namedOptions("another workflow-seeder process (--database-url)", known)).to.deep.equal([
      { option: "database-url", commands: null },
    ]);
    expect(namedOptions("--step", known)).to.deep.equal([]);
  });

  it("every literal a command can print names only its own options (or another command's, with that command)", () => {
    const problems: string[] = [];
    for (const [command, literals] of commandLiterals())
      for (const literal of literals) problems.push(...problemsOf(literal.text, [command]));
    expect(problems).to.deep.equal([]);
  });

  it("cli.ts and every issue message name options every command has, or name the command", () => {
    const problems: string[] = [];
    for (const file of [join(ROOT, "cli.ts"), join(ROOT, "src", "errors.ts")])
      for (const literal of collectSourceLiterals(readFileSync(file, "utf8")))
        problems.push(...problemsOf(literal.text, "any"));
    expect(problems).to.deep.equal([]);
  });
});
