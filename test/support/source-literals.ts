/**
 * A small scanner of TypeScript source for tests that check what the program prints: the string
 * and template literals of a file (comments and regular expressions skipped), each with the
 * top-level declaration that holds it, and which top-level declarations a declaration refers to.
 * Top-level declarations start at column 0 (the formatter keeps them there).
 */

/** One string or template literal: its text (escapes of quotes and backticks undone) and where it is. */
export interface SourceLiteral {
  text: string;
  /** The offset of its opening quote in the source. */
  offset: number;
}

/** A top-level declaration: its name and its text span. */
export interface TopLevelDeclaration {
  name: string;
  start: number;
  end: number;
}

/** What a template's text holds where an expression was. */
const EXPRESSION_MARK = "$" + "{}";

const REGEX_MAY_FOLLOW = new Set([
  "(",
  ",",
  "=",
  ":",
  "[",
  "!",
  "&",
  "|",
  "?",
  "{",
  "}",
  ";",
  "\n",
  "+",
  "-",
  "*",
  "%",
  "<",
  ">",
  "~",
  "^",
]);

/**
 * Every string and template literal of `source`. A template's text is its literal parts joined
 * with `${}` where an expression was; literals nested in its expressions are listed on their own.
 */
export function collectSourceLiterals(source: string): SourceLiteral[] {
  const literals: SourceLiteral[] = [];
  let i = 0;
  let lastSignificant = "\n";

  const readQuoted = (quote: string): void => {
    const start = i;
    let text = "";
    i++;
    while (i < source.length && source[i] !== quote) {
      if (source[i] === "\\") {
        text += source[i + 1] ?? "";
        i += 2;
      } else text += source[i++];
    }
    i++;
    literals.push({ text, offset: start });
  };

  // A template: literal parts until the closing backtick; `${` opens an expression scanned as code.
  const readTemplate = (): void => {
    const start = i;
    let text = "";
    i++;
    while (i < source.length && source[i] !== "`") {
      if (source[i] === "\\") {
        text += source[i + 1] ?? "";
        i += 2;
      } else if (source[i] === "$" && source[i + 1] === "{") {
        i += 2;
        scanCode("}");
        i++;
        // Where an expression was, so messages read whole in test output.
        text += EXPRESSION_MARK;
      } else text += source[i++];
    }
    i++;
    literals.push({ text, offset: start });
  };

  const skipRegex = (): void => {
    i++;
    let inClass = false;
    while (i < source.length) {
      const c = source[i];
      if (c === "/" && !inClass) break;
      if (c === "[") inClass = true;
      if (c === "]") inClass = false;
      i += c === "\\" ? 2 : 1;
    }
    i++;
    while (i < source.length && /[a-z]/.test(source[i] as string)) i++;
  };

  // Code until `close` at depth 0 (a template expression's `}`), or the end.
  function scanCode(close?: string): void {
    let depth = 0;
    while (i < source.length) {
      const c = source[i] as string;
      const next = source[i + 1];
      if (close !== undefined && depth === 0 && c === close) return;
      if (c === "/" && next === "/") {
        while (i < source.length && source[i] !== "\n") i++;
      } else if (c === "/" && next === "*") {
        const end = source.indexOf("*/", i + 2);
        i = end < 0 ? source.length : end + 2;
      } else if (c === '"' || c === "'") {
        readQuoted(c);
        lastSignificant = "a";
      } else if (c === "`") {
        readTemplate();
        lastSignificant = "a";
      } else if (c === "/" && REGEX_MAY_FOLLOW.has(lastSignificant)) {
        skipRegex();
        lastSignificant = "a";
      } else {
        if (c === "{" || c === "(" || c === "[") depth++;
        if (c === "}" || c === ")" || c === "]") depth--;
        if (!/\s/.test(c) || c === "\n") lastSignificant = /[A-Za-z0-9_$.]/.test(c) ? "a" : c;
        // `return /x/` : a keyword before a regex
        if (/[A-Za-z]/.test(c)) {
          const word = /^[A-Za-z]+/.exec(source.slice(i))?.[0] ?? c;
          if (word === "return" || word === "typeof") lastSignificant = "(";
          i += word.length;
          continue;
        }
        i++;
      }
    }
  }

  scanCode();
  return literals;
}

/** The top-level declarations of a source (functions, classes, consts, lets, interfaces and types), in order. */
export function collectTopLevelDeclarations(source: string): TopLevelDeclaration[] {
  const pattern =
    /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type)\s+([A-Za-z_$][\w$]*)/gm;
  const found = [...source.matchAll(pattern)].map((m) => ({ name: m[1] as string, start: m.index as number }));
  return found.map((d, k) => ({ ...d, end: found[k + 1]?.start ?? source.length }));
}

/**
 * The declarations reachable from the text `[start, end)`: every top-level declaration whose name
 * appears there as a word, and the ones those refer to, transitively.
 */
export function collectReachableDeclarations(
  source: string,
  declarations: readonly TopLevelDeclaration[],
  start: number,
  end: number,
): TopLevelDeclaration[] {
  const byName = new Map(declarations.map((d) => [d.name, d]));
  const reached = new Map<string, TopLevelDeclaration>();
  const visit = (from: number, to: number) => {
    for (const word of source.slice(from, to).match(/[A-Za-z_$][\w$]*/g) ?? []) {
      const declaration = byName.get(word);
      if (declaration === undefined || reached.has(word)) continue;
      reached.set(word, declaration);
      visit(declaration.start, declaration.end);
    }
  };
  visit(start, end);
  return [...reached.values()];
}
