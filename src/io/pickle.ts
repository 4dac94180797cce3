/**
 * A restricted unpickler: it understands the pickle opcodes that a PyTorch state dict uses (protocols 2 to 5) and
 * builds plain values from them. It never runs code. A GLOBAL names a Python callable; only those in the caller's
 * allow-list are resolved, to functions written here in TypeScript, and any other one stops the load.
 *
 * Values: None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list and tuple -> array, dict -> Map.
 */
import { WeightFileError } from './weight_file_error.js';

/** A global the policy allows. Only one with `call` may be called (REDUCE, NEWOBJ); others are markers. */
export interface AllowedGlobal {
  qualifiedName: string;
  call?: (args: unknown[]) => unknown;
}

export interface UnpickleOptions {
  /** Names the pickle in messages, e.g. "archive/data.pkl". */
  label: string;
  /** Allowed globals by "module.name". */
  globals: ReadonlyMap<string, AllowedGlobal>;
  /** Resolves a persistent id (BINPERSID), which is how torch refers to tensor storages. */
  persistentLoad?: (pid: unknown) => unknown;
}

/** Integers longer than this are no part of a weight file; the limit keeps BigInt arithmetic cheap. */
const MAX_LONG_BYTES = 32;

/** Unpickles the pickle that starts at `start`; returns its value and the offset just past its STOP. */
export function unpickle(bytes: Uint8Array, start: number, source: string, options: UnpickleOptions): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = []; // stack heights at each MARK
  const memo = new Map<number, unknown>();
  let at = start;
  let opcodeAt = start;
  let opcode = 0;

  const fail = (detail: string) =>
    new WeightFileError(source, `${options.label}: ${detail} (opcode 0x${opcode.toString(16).padStart(2, '0')} at byte ${opcodeAt})`);
  const take = (length: number): Uint8Array => {
    if (length > bytes.length - at) throw fail('pickle ends early');
    at += length;
    return bytes.subarray(at - length, at);
  };
  /** Offset of the next `length` bytes, consumed. */
  const field = (length: number): number => take(length).byteOffset - bytes.byteOffset;
  const u8 = () => take(1)[0];
  const u16 = () => view.getUint16(field(2), true);
  const u32 = () => view.getUint32(field(4), true);
  const u64 = () => {
    const low = field(8);
    const value = view.getUint32(low, true) + view.getUint32(low + 4, true) * 2 ** 32;
    if (!Number.isSafeInteger(value)) throw fail('length field too large');
    return value;
  };
  const line = (): string => {
    const newline = bytes.indexOf(0x0a, at);
    if (newline < 0) throw fail('pickle ends early');
    return latin1(take(newline + 1 - at).subarray(0, -1));
  };
  const decoder = new TextDecoder('utf-8');
  const utf8 = (raw: Uint8Array) => decoder.decode(raw);

  const floor = () => marks[marks.length - 1] ?? 0;
  const pop = (): unknown => {
    if (stack.length <= floor()) throw fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= floor()) throw fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) throw fail('no MARK to pop to');
    return stack.splice(mark);
  };
  const dictOnTop = (): Map<unknown, unknown> => {
    const dict = top();
    if (!(dict instanceof Map)) throw fail('setting an item on something that is not a dict');
    return dict;
  };
  const listOnTop = (): unknown[] => {
    const list = top();
    if (!Array.isArray(list)) throw fail('appending to something that is not a list');
    return list;
  };
  const setItems = (dict: Map<unknown, unknown>, items: unknown[]) => {
    if (items.length % 2 !== 0) throw fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const refuse = (qualifiedName: string) =>
    new WeightFileError(source, `refusing to load this file: it asks to call ${qualifiedName}; only tensors and dicts are allowed`);
  const resolveGlobal = (module: string, name: string): AllowedGlobal => {
    const global = options.globals.get(`${module}.${name}`);
    if (!global) throw refuse(`${module}.${name}`);
    return global;
  };
  const allowed = new Set<unknown>(options.globals.values());
  const call = (callable: unknown, args: unknown): unknown => {
    if (!allowed.has(callable)) throw fail('calling something that is not a global');
    const global = callable as AllowedGlobal;
    if (!global.call) throw refuse(global.qualifiedName);
    if (!Array.isArray(args)) throw fail(`arguments to ${global.qualifiedName} are not a tuple`);
    return global.call(args);
  };
  const long = (raw: Uint8Array): number | bigint => {
    if (raw.length > MAX_LONG_BYTES) throw fail(`integer of ${raw.length} bytes is too large for a weight file`);
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
    if (raw.length > 0 && raw[raw.length - 1] & 0x80) value -= 1n << BigInt(8 * raw.length); // two's complement
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  };

  for (;;) {
    opcodeAt = at;
    opcode = u8();
    switch (opcode) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) throw fail(`unsupported pickle protocol ${protocol}`);
        break;
      }
      case 0x95: // FRAME: a length hint for buffered readers; the whole pickle is in memory
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: at };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(field(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: { // LONG4
        const length = u32();
        if (length > MAX_LONG_BYTES) throw fail(`integer of ${length} bytes is too large for a weight file`);
        stack.push(long(take(length)));
        break;
      }
      case 0x47: // BINFLOAT, big-endian
        stack.push(view.getFloat64(field(8), false));
        break;

      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64())));
        break;
      case 0x54: // BINSTRING (a Python 2 str)
        stack.push(latin1(take(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;

      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const item = pop();
        listOnTop().push(item);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = listOnTop();
        for (const item of items) list.push(item);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const dict = new Map<unknown, unknown>();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        dictOnTop().set(key, value);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(dictOnTop(), items);
        break;
      }

      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const index = opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw fail(`memo has no entry ${index}`);
        stack.push(memo.get(index));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;

      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        stack.push(resolveGlobal(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: // REDUCE: callable(*args)
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), the same for the allowed globals
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX, without keyword arguments
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map) || kwargs.size > 0) throw fail('keyword arguments are not supported');
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: { // BUILD: set an object's state
        pop();
        // The only object that carries state in a state dict is its OrderedDict, whose `_metadata` attribute
        // (module versions) weights do not need.
        if (!(top() instanceof Map)) throw fail('BUILD is only supported on dicts');
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw fail('persistent ids are not expected here');
        stack.push(options.persistentLoad(pid));
        break;
      }
      default:
        throw fail('unsupported pickle opcode');
    }
  }
}

function latin1(raw: Uint8Array): string {
  let text = '';
  for (const byte of raw) text += String.fromCharCode(byte);
  return text;
}
