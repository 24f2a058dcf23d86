//! Terminal plots (braille, textplots), with points reduced to each column's min and max.
