const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SIMPLE_ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const HEX_DIGIT = /^[0-9a-fA-F]$/;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * The UTF-16 offset of the first JSON syntax error in `text` (RFC 8259, as `JSON.parse` reads
 * it), or -1 when `text` is valid JSON. `JSON.parse` does not always say where it failed (V8
 * quotes the text instead of giving a position for an unexpected token, and each Node version
 * words it differently), so the location is found here, the same on every machine. Iterative:
 * deep nesting cannot overflow the stack.
 *
 * @example findJsonSyntaxErrorOffset('{"a": ]}') // 6
 */
export function findJsonSyntaxErrorOffset(text: string): number {
  const n = text.length;
  let i = 0;
  const stack: ("object" | "array")[] = [];
  const skipWhitespace = () => {
    while (i < n && WHITESPACE.has(text.charCodeAt(i))) i++;
  };
  // Each scanner leaves `i` after the token, or at the offending character and returns false.
  const scanString = (): boolean => {
    i++;
    while (i < n) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return true;
      }
      if (c.charCodeAt(0) < 0x20) return false;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === undefined) {
          i++;
          return false;
        }
        if (SIMPLE_ESCAPES.has(e)) {
          i += 2;
          continue;
        }
        if (e !== "u") {
          i++;
          return false;
        }
        for (let k = 2; k < 6; k++)
          if (!HEX_DIGIT.test(text[i + k] ?? "")) {
            i += k;
            return false;
          }
        i += 6;
        continue;
      }
      i++;
    }
    return false;
  };
  const scanDigits = (): boolean => {
    if (!isDigit(text[i])) return false;
    while (isDigit(text[i])) i++;
    return true;
  };
  const scanNumber = (): boolean => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else if (!scanDigits()) return false;
    if (text[i] === ".") {
      i++;
      if (!scanDigits()) return false;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (!scanDigits()) return false;
    }
    return true;
  };
  const scanWord = (word: string): boolean => {
    for (const c of word) {
      if (text[i] !== c) return false;
      i++;
    }
    return true;
  };

  let state: "value" | "key" | "after" = "value";
  for (;;) {
    skipWhitespace();
    if (state === "value") {
      const c = text[i];
      if (c === "{" || c === "[") {
        i++;
        skipWhitespace();
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++;
          state = "after";
        } else {
          stack.push(c === "{" ? "object" : "array");
          state = c === "{" ? "key" : "value";
        }
        continue;
      }
      const ok =
        c === '"'
          ? scanString()
          : c === "-" || isDigit(c)
            ? scanNumber()
            : c === "t"
              ? scanWord("true")
              : c === "f"
                ? scanWord("false")
                : c === "n"
                  ? scanWord("null")
                  : false;
      if (!ok) return i;
      state = "after";
    } else if (state === "key") {
      if (text[i] !== '"' || !scanString()) return i;
      skipWhitespace();
      if (text[i] !== ":") return i;
      i++;
      state = "value";
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? i : -1;
      const c = text[i];
      if (c === ",") {
        i++;
        state = top === "object" ? "key" : "value";
      } else if (c === (top === "object" ? "}" : "]")) {
        i++;
        stack.pop();
      } else return i;
    }
  }
}
