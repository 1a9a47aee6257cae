## cmake -DIN=file -DOUT=file.cpp -DHEADER=... -DFUNCTION=name -P embed.cmake: writes a C++ file
## whose function `tachyon::FUNCTION()` returns the bytes of IN (the BPF object, so the library
## needs no file at run time).
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file(WRITE ${OUT}.tmp
"// Generated from ${IN} by cmake/embed.cmake: do not edit.\n"
"#include \"${HEADER}\"\n\n"
"namespace tachyon {\n\nnamespace {\n\nconst unsigned char bytes[] = {\n    ${bytes}\n};\n\n} // namespace\n\n"
"std::span<const unsigned char> ${FUNCTION}() { return {bytes, sizeof bytes}; }\n\n} // namespace tachyon\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
