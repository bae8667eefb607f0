/* Loopback TCP ping-pong between two processes (68-byte messages, TCP_NODELAY): the floor under any
 * cross-process RPC on this machine. Built and run by dev/bench-foundation.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
int main(){int s=socket(AF_INET,SOCK_STREAM,0);struct sockaddr_in a={0};a.sin_family=AF_INET;a.sin_addr.s_addr=htonl(0x7f000001);
bind(s,(void*)&a,sizeof a);listen(s,1);socklen_t l=sizeof a;getsockname(s,(void*)&a,&l);
if(fork()==0){int c=socket(AF_INET,SOCK_STREAM,0);connect(c,(void*)&a,sizeof a);int one=1;setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,4);char b[100];
 static double ts[20000];for(int i=0;i<20000;i++){double t=now();write(c,b,68);read(c,b,100);ts[i]=now()-t;}qsort(ts,20000,8,cmp);printf("tcp ping-pong (C, 2 processes): p50 %.1f us p99 %.1f\n",ts[10000],ts[19800]);return 0;}
int c=accept(s,0,0);int one=1;setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,4);char b[100];int n;while((n=read(c,b,100))>0)write(c,b,n);return 0;}
