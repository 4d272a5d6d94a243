import type { Command } from 'commander';

/**
 * Shell completion scripts, written from commander's own command tree, so they name exactly the
 * commands and options `--help` shows. The tree is printed into the script: pressing Tab never
 * starts `keyhold` (a whole Node start-up per keystroke), and a new version needs the script
 * printed again (`keyhold completion bash > …`).
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionNode {
  /** Every spelling: `--json`, or `-h` and `--help`. */
  flags: string[];
  description: string;
  /** Whether the option takes a value (`--addr <url>`); the word after it is that value. */
  takesValue: boolean;
  /** The values commander accepts, when it knows them. */
  choices: string[];
}

/** One command of the tree; `path` is the words that reach it (`['item', 'file', 'get']`). */
export interface CommandNode {
  path: string[];
  description: string;
  commands: { name: string; description: string }[];
  options: OptionNode[];
  /** The values its first argument may take, when commander knows them (`completion <shell>`). */
  argumentChoices: string[];
}

/** Every command reachable from `program`, depth first, the program itself first (path `[]`). */
export function commandTree(program: Command): CommandNode[] {
  const nodes: CommandNode[] = [];
  const visit = (command: Command, path: string[]): void => {
    const help = command.createHelp();
    const subcommands = help.visibleCommands(command);
    nodes.push({
      path,
      description: firstLine(command.description()),
      commands: subcommands.flatMap((c) =>
        [c.name(), ...c.aliases()].map((name) => ({ name, description: firstLine(c.description()) })),
      ),
      options: help.visibleOptions(command).map((o) => ({
        flags: [o.short, o.long].filter((f): f is string => f !== undefined),
        description: firstLine(o.description),
        takesValue: o.required || o.optional,
        choices: o.argChoices ?? [],
      })),
      argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
    });
    for (const sub of subcommands) if (sub.name() !== 'help') visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return nodes;
}

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

/** The completion script for `shell` of the command `name`. */
export function completionScript(shell: Shell, name: string, tree: CommandNode[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  switch (shell) {
    case 'bash':
      return bashScript(name, fn, tree);
    case 'zsh':
      return zshScript(name, fn, tree);
    case 'fish':
      return fishScript(name, fn, tree);
  }
}

/** A word in single quotes for bash, zsh and fish alike (no character is special inside). */
const sq = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
/** fish does not take `'\''`; inside its single quotes only `\` and `'` are escaped. */
const fishQuote = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

const valueFlags = (node: CommandNode): string[] =>
  node.options.filter((o) => o.takesValue).flatMap((o) => o.flags);

/**
 * bash (4 or later): a `case` gives, for the command path typed so far, its subcommands, its
 * options and the options that take a value (whose next word is skipped, not read as a
 * command). Nothing to offer falls back to file names (`complete -o default`).
 */
function bashScript(name: string, fn: string, tree: CommandNode[]): string {
  const cases = tree.map((node) => {
    const lines = [
      `    ${sq(node.path.join(' '))})`,
      `      cmds=${sq(node.commands.map((c) => c.name).join(' '))}`,
      `      opts=${sq(node.options.flatMap((o) => o.flags).join(' '))}`,
      `      vals=${sq(valueFlags(node).join(' '))}`,
      `      args=${sq(node.argumentChoices.join(' '))} ;;`,
    ];
    return lines.join('\n');
  });
  const choices = tree.flatMap((node) =>
    node.options
      .filter((o) => o.choices.length > 0)
      .flatMap((o) =>
        o.flags.map((f) => `    ${sq(`${node.path.join(' ')}|${f}`)}) choices=${sq(o.choices.join(' '))} ;;`),
      ),
  );
  return `# bash completion for ${name}. Load it in this shell with: source <(${name} completion bash)
# or for every shell: ${name} completion bash > ~/.local/share/bash-completion/completions/${name}
${fn}_node() {
  case "$1" in
${cases.join('\n')}
    *) return 1 ;;
  esac
}
${fn}_choices() {
  choices=''
  case "$1|$2" in
${choices.join('\n')}
    *) return 1 ;;
  esac
}
${fn}() {
  local cur prev word cmdpath='' cmds opts vals args choices i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=''
  (( COMP_CWORD > 1 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  ${fn}_node ''
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    if [[ $word == -* ]]; then
      # An option that takes a value: the next word is its value, not a command.
      [[ " $vals " == *" $word "* ]] && (( i++ ))
    elif [[ " $cmds " == *" $word "* ]]; then
      cmdpath="\${cmdpath:+$cmdpath }$word"
      ${fn}_node "$cmdpath"
    fi
  done
  COMPREPLY=()
  if [[ -n $prev && $prev == -* && " $vals " == *" $prev "* ]]; then
    ${fn}_choices "$cmdpath" "$prev" && COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n $cmds ]]; then
    COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
  elif [[ -n $args ]]; then
    COMPREPLY=($(compgen -W "$args" -- "$cur"))
  fi
  return 0
}
complete -o default -F ${fn} ${name}
`;
}

/** zsh: the same walk as bash, offering each command and option with its description. */
function zshScript(name: string, fn: string, tree: CommandNode[]): string {
  const described = (word: string, description: string) => sq(`${word.replace(/:/g, '\\:')}:${description}`);
  const cases = tree.map((node) =>
    [
      `    ${sq(node.path.join(' '))})`,
      `      names=(${node.commands.map((c) => sq(c.name)).join(' ')})`,
      `      cmds=(${node.commands.map((c) => described(c.name, c.description)).join(' ')})`,
      `      opts=(${node.options.flatMap((o) => o.flags.map((f) => described(f, o.description))).join(' ')})`,
      `      vals=(${valueFlags(node).map(sq).join(' ')})`,
      `      args=(${node.argumentChoices.map(sq).join(' ')}) ;;`,
    ].join('\n'),
  );
  const choices = tree.flatMap((node) =>
    node.options
      .filter((o) => o.choices.length > 0)
      .flatMap((o) =>
        o.flags.map(
          (f) => `    ${sq(`${node.path.join(' ')}|${f}`)}) choices=(${o.choices.map(sq).join(' ')}) ;;`,
        ),
      ),
  );
  return `#compdef ${name}
# zsh completion for ${name}. Load it in this shell (after compinit) with: source <(${name} completion zsh)
# or for every shell: ${name} completion zsh > "\${fpath[1]}/_${name}"
${fn}_node() {
  case "$1" in
${cases.join('\n')}
    *) return 1 ;;
  esac
}
${fn}_choices() {
  choices=()
  case "$1|$2" in
${choices.join('\n')}
    *) return 1 ;;
  esac
}
${fn}() {
  local word cmdpath='' i
  local -a names cmds opts vals args choices
  ${fn}_node ''
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ $word == -* ]]; then
      (( \${vals[(Ie)$word]} )) && (( i++ ))
    elif (( \${names[(Ie)$word]} )); then
      cmdpath="\${cmdpath:+$cmdpath }$word"
      ${fn}_node "$cmdpath"
    fi
  done
  local prev=\${words[CURRENT-1]}
  if (( CURRENT > 2 )) && [[ $prev == -* ]] && (( \${vals[(Ie)$prev]} )); then
    if ${fn}_choices "$cmdpath" "$prev"; then compadd -a choices; else _files; fi
    return
  fi
  if [[ $PREFIX == -* ]]; then
    _describe -t options option opts
  elif (( \${#cmds} )); then
    _describe -t commands command cmds
  elif (( \${#args} )); then
    compadd -a args
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

/**
 * fish: one function answers every Tab with the same walk as bash's, printing `word<TAB>description`
 * lines that fish filters by what is typed; where bash falls back to file names, so does it.
 */
function fishScript(name: string, fn: string, tree: CommandNode[]): string {
  const described = (word: string, description: string) => `${fishQuote(word)}\\t${fishQuote(description)}`;
  const set = (variable: string, values: string[]) =>
    `      set ${fn}_${variable} ${values.join(' ')}`.trimEnd();
  const cases = tree.map((node) =>
    [
      `    case ${fishQuote(node.path.join(' '))}`,
      set(
        'names',
        node.commands.map((c) => fishQuote(c.name)),
      ),
      set(
        'cmds',
        node.commands.map((c) => described(c.name, c.description)),
      ),
      set(
        'opts',
        node.options.flatMap((o) => o.flags.map((f) => described(f, o.description))),
      ),
      set('vals', valueFlags(node).map(fishQuote)),
      set('args', node.argumentChoices.map(fishQuote)),
    ].join('\n'),
  );
  const choices = tree.flatMap((node) =>
    node.options
      .filter((o) => o.choices.length > 0)
      .flatMap((o) =>
        o.flags.map(
          (f) =>
            `    case ${fishQuote(`${node.path.join(' ')}|${f}`)}\n      printf '%s\\n' ${o.choices.map(fishQuote).join(' ')}`,
        ),
      ),
  );
  return `# fish completion for ${name}. Load it in this shell with: ${name} completion fish | source
# or for every shell: ${name} completion fish > ~/.config/fish/completions/${name}.fish
function ${fn}_node
  for variable in names cmds opts vals args
    set -g ${fn}_$variable
  end
  switch $argv[1]
${cases.join('\n')}
  end
end
function ${fn}_choices
  switch "$argv[1]|$argv[2]"
${choices.join('\n')}
    case '*'
      return 1
  end
end
function ${fn}_complete
  set -l words (commandline -opc)
  set -l token (commandline -ct)
  set -l cmdpath
  set -l skip 0
  ${fn}_node ''
  for word in $words[2..-1]
    if test $skip = 1
      set skip 0
    else if string match -q -- '-*' $word
      # An option that takes a value: the next word is its value, not a command.
      contains -- $word $${fn}_vals; and set skip 1
    else if contains -- $word $${fn}_names
      set -a cmdpath $word
      ${fn}_node "$cmdpath"
    end
  end
  if test $skip = 1
    ${fn}_choices "$cmdpath" $words[-1]; or __fish_complete_path $token
  else if string match -q -- '-*' $token
    printf '%s\\n' $${fn}_opts
  else if set -q ${fn}_cmds[1]
    printf '%s\\n' $${fn}_cmds
  else if set -q ${fn}_args[1]
    printf '%s\\n' $${fn}_args
  else
    __fish_complete_path $token
  end
end
complete -c ${name} -f -a '(${fn}_complete)'
`;
}
