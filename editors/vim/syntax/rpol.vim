" Vim syntax file for rpol, the return and refund policy language.
" Install: copy editors/vim/* into ~/.vim/ (or a package directory).
if exists("b:current_syntax")
  finish
endif

" The keyword list below must equal the scanner's reserved words; the test
" suite compares them (tests/suites/editors.sh).
syn keyword rpolKeyword policy version for use module region const let fn extern enum extend input output decide when otherwise message test given expect set if then else
syn keyword rpolOperator and or not in of
syn keyword rpolVerdict allow deny review
syn keyword rpolBoolean true false
syn keyword rpolUnit day days week weeks
syn keyword rpolRoot customer order item request
syn keyword rpolType bool int money percent date duration string country currency verdict

syn match rpolComment "#.*$" contains=@Spell
syn region rpolString start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline contains=rpolEscape
syn match rpolEscape +\\[\\"nt]\|\\u{\x\{1,6}}+ contained
syn match rpolDate "\<\d\{4}-\d\{2}-\d\{2}\>"
syn match rpolMoney "\<\d[0-9_]*\%(\.\d\+\)\=[ \t]*[A-Z]\{3}\>"
syn match rpolPercent "\<\d[0-9_]*\%(\.\d\+\)\=%"
syn match rpolNumber "\<\d[0-9_]*\%(\.\d\+\)\=\>"
syn match rpolArrow "=>\|->\|??"

hi def link rpolKeyword Keyword
hi def link rpolOperator Operator
hi def link rpolVerdict Special
hi def link rpolBoolean Boolean
hi def link rpolUnit Type
hi def link rpolRoot Identifier
hi def link rpolType Type
hi def link rpolComment Comment
hi def link rpolString String
hi def link rpolEscape SpecialChar
hi def link rpolDate Constant
hi def link rpolMoney Number
hi def link rpolPercent Number
hi def link rpolNumber Number
hi def link rpolArrow Operator

let b:current_syntax = "rpol"
