/* placeholder: replaced by the real main.c */
int main(void) { return 0; }
