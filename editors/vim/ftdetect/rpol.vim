" rpol policies and modules
autocmd BufRead,BufNewFile *.rpol setfiletype rpol
